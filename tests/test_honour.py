"""Honour roll: the best teams and communes of a month by scorecard, nationally and per
province, on a public page that names places only (never a person's name or phone), that an
official setting turns off, and a certificate of merit PDF for an honoured team."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, login_as, next_phone

HANOI = "01"
LEADER_NAME = "Phạm Thị Vinh Danh"


@pytest.fixture
def world(app, factory):
    """Two teams in Ba Đình (one whose members all hold the members' certificate), one in Vũng
    Tàu without any, computed for October 2026."""
    from lms.places.models import Team, TeamMembership
    from lms.reports import scorecards
    from tests.test_scorecards import certificate, lesson_read

    w = {"phone": next_phone()}
    leader = factory.user(phone=w["phone"], name=LEADER_NAME)
    other = factory.user(name="Đặng Văn Khác")
    far = factory.user(name="Hồ Văn Xa", commune=OTHER_COMMUNE)
    here = factory.village(DEMO_COMMUNE, "Thôn Sáng")
    w["best"] = factory.team(here, name="Tổ Sáng Tạo", members=(leader,), leader=leader)
    w["second"] = factory.team(here, name="Tổ Chăm Chỉ", members=(other,))
    w["far"] = factory.team(factory.village(OTHER_COMMUNE, "Thôn Xa"), name="Tổ Đường Xa", members=(far,))
    with app.app_context():
        db.session.execute(update(Team).values(created_at=datetime(2026, 9, 1, tzinfo=UTC)))
        db.session.execute(update(TeamMembership).values(added_at=datetime(2026, 9, 1, tzinfo=UTC)))
        certificate(leader, "thanh-vien", "2026-10-02 03:00")
        lesson_read(leader, "2026-10-20 03:00")
        lesson_read(other, "2026-10-20 03:00")
        scorecards.compute_month(date(2026, 10, 1))
        db.session.commit()
    return w


def test_the_public_roll_ranks_places_and_names_nobody(app, world):
    client = app.test_client()
    page = client.get("/honour?month=2026-10")
    assert page.status_code == 200
    text = page.text
    # Team "Sáng Tạo" scores 30 (certified) + 20 (active) = 50, "Chăm Chỉ" 20; "Đường Xa" 0 is not honoured.
    assert text.index("Tổ Sáng Tạo") < text.index("Tổ Chăm Chỉ")
    assert "50,0" in text and "20,0" in text and "Tổ Đường Xa" not in text
    assert "Thành phố Hà Nội" in text
    province = client.get(f"/honour/{HANOI}?month=2026-10").text
    assert "Tổ Sáng Tạo" in province and "Tổ Đường Xa" not in province
    for body in (text, province):
        assert LEADER_NAME not in body and "Đặng Văn Khác" not in body and "Hồ Văn Xa" not in body
        assert world["phone"] not in body and world["phone"][1:] not in body
    assert page.headers["Cache-Control"].replace(" ", "") in ("public,max-age=600", "max-age=600,public")
    assert client.get("/honour/99").status_code == 404
    assert client.get("/honour/1%00").status_code == 400
    assert client.get("/honour?month=2026-99").status_code == 400


def test_the_public_roll_can_be_turned_off(app, world):
    app.config["HONOUR_ROLL_PUBLIC"] = "off"
    try:
        client = app.test_client()
        assert client.get("/honour").status_code == 404
        assert client.get(f"/honour/{HANOI}").status_code == 404
        assert "/honour" not in client.get("/").text
    finally:
        app.config.pop("HONOUR_ROLL_PUBLIC")
    assert 'href="/honour"' in app.test_client().get("/").text


def test_merit_certificate_for_an_honoured_team_only(app, factory, world):
    client = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)[0]
    team_page = client.get(f"/reports/scorecards/teams/{world['best']}?month=2026-10").text
    assert "Tải giấy khen (PDF)" in team_page
    pdf = client.get(f"/reports/scorecards/teams/{world['best']}/merit.pdf?month=2026-10")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:5] == b"%PDF-"
    from tests.cert_helpers import pdf_text

    text = pdf_text(pdf.data)
    assert "GIẤY KHEN" in text and "Tổ Sáng Tạo" in text and "Xếp thứ 1" in text, text
    # Not honoured (score 0), out of scope, hostile: 404.
    other = login_as(app, factory, role="commune_official", role_commune=OTHER_COMMUNE, commune=OTHER_COMMUNE)[0]
    assert other.get(f"/reports/scorecards/teams/{world['far']}/merit.pdf?month=2026-10").status_code == 404
    assert other.get(f"/reports/scorecards/teams/{world['best']}/merit.pdf?month=2026-10").status_code == 404
    assert client.get("/reports/scorecards/teams/99999999999/merit.pdf").status_code == 404
    assert app.test_client().get(f"/reports/scorecards/teams/{world['best']}/merit.pdf").status_code == 302
