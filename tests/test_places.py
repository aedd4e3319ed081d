"""The 2025 list of places, accent-free search, villages, teams and members."""

import re

from sqlalchemy import func, select

from lms.core.extensions import db
from lms.places.models import Commune, Province, Team, TeamMembership, Village
from tests.factories import DEMO_COMMUNE, csrf_from, login_as, next_phone


def test_all_34_provinces_and_3321_communes_are_loaded(app):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Province)) == 34
        assert db.session.scalar(select(func.count()).select_from(Commune)) == 3321
        kinds = dict(db.session.execute(select(Commune.kind, func.count()).group_by(Commune.kind)).all())
        assert kinds == {"xã": 2621, "phường": 687, "đặc khu": 13}
        codes = db.session.scalars(select(Province.code)).all() + db.session.scalars(select(Commune.code)).all()
        assert all(re.fullmatch(r"\d{2}", c) for c in codes[:34])
        assert all(re.fullmatch(r"\d{5}", c) for c in codes[34:])
        assert db.session.get(Commune, DEMO_COMMUNE).name == "Phường Ba Đình"


def test_reimport_changes_nothing(app):
    from lms.places.services import import_places, load_divisions

    with app.app_context():
        assert import_places(load_divisions()) == (34, 3321)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Commune)) == 3321


def test_accent_free_search_finds_vietnamese_names(client):
    results = client.get("/api/communes?q=ba dinh ha noi").get_json()["results"]
    assert results[0]["name"] == "Phường Ba Đình"
    assert results[0]["province"] == "Thành phố Hà Nội"
    hanoi = client.get("/api/communes?q=ha noi").get_json()["results"]
    assert hanoi and all(r["province"] == "Thành phố Hà Nội" for r in hanoi)
    accented = client.get("/api/communes?q=Ba Đình").get_json()["results"]
    assert "Phường Ba Đình" in [r["name"] for r in accented]
    special = client.get("/api/communes?q=dac khu phu quoc").get_json()["results"]
    assert [r["name"] for r in special] == ["Đặc khu Phú Quốc"]
    assert client.get("/api/communes?q=x").get_json() == {"results": [], "more": False}


def test_commune_official_creates_village_team_and_adds_member(app, factory):
    client, auth, official_id, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    member_phone = next_phone()
    factory.user(phone=member_phone, name="Bùi Văn Đức")
    response = auth.post(f"/manage/communes/{DEMO_COMMUNE}", {"name": "  Thôn  Đoài ", "kind": "thôn"})
    assert response.status_code == 302
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.name == "Thôn Đoài"))
        assert village.commune_code == DEMO_COMMUNE
        village_id = village.id
    dup = auth.post(f"/manage/communes/{DEMO_COMMUNE}", {"name": "thôn đoài", "kind": "thôn"})
    assert "Xã này đã có thôn/tổ dân phố cùng tên." in dup.text
    response = auth.post(f"/manage/villages/{village_id}", {"name": "Tổ CNSCĐ thôn Đoài"})
    team_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = auth.post(f"/manage/teams/{team_id}", {"phone": member_phone, "is_leader": "y"})
    assert response.status_code == 302
    page = client.get(f"/manage/teams/{team_id}").text
    assert "Bùi Văn Đức" in page and "Tổ trưởng" in page
    again = auth.post(f"/manage/teams/{team_id}", {"phone": member_phone})
    assert "đã là thành viên của tổ này" in again.text
    unknown = auth.post(f"/manage/teams/{team_id}", {"phone": "0999999999"})
    assert "Không thêm được số này." in unknown.text
    landline = auth.post(f"/manage/teams/{team_id}", {"phone": "024 3825 1234"})
    assert "số máy bàn" in landline.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TeamMembership)) == 1
        assert db.session.get(Team, team_id).commune_code == DEMO_COMMUNE


def test_member_actions_change_leader_and_remove(app, factory):
    client, auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    member = factory.user()
    team = factory.team(factory.village(), members=(member,))
    token = csrf_from(client.get(f"/manage/teams/{team}").text)
    client.post(f"/manage/teams/{team}/members/{member}/leader", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(TeamMembership.is_leader)) is True
    client.post(f"/manage/teams/{team}/members/{member}/remove", data={"csrf_token": token})
    assert factory.count(TeamMembership) == 0


def test_village_name_with_control_characters_is_refused(app, factory):
    client, auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    response = auth.post(f"/manage/communes/{DEMO_COMMUNE}", {"name": "Thôn\x07Lạ", "kind": "thôn"})
    assert "Tên có ký tự không hợp lệ." in response.text
    # A NUL byte never reaches the form: every route answers it with 400 first.
    response = auth.post(f"/manage/communes/{DEMO_COMMUNE}", {"name": "Thôn\x00Lạ", "kind": "thôn"})
    assert response.status_code == 400
    assert "Dữ liệu gửi lên có ký tự không hợp lệ." in response.text
    assert factory.count(Village) == 0
