"""Vietnamese order: the sort key, the database's ORDER BY (vi-x-icu on PostgreSQL, the "vi"
collation on SQLite) and the places listing of /manage, which pages through every commune."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import String, literal, select, union_all

from lms.core.db import vi_order
from lms.core.extensions import db
from lms.core.text import vi_sort_key
from lms.places.models import Commune, Province
from tests.factories import login_as

# The order PostgreSQL 15's "vi-x-icu" collation gives (checked by the database test below on
# both engines): a space before punctuation, digits, then letters; ă â đ ê ô ơ ư letters of
# their own; the tones (none, huyền, hỏi, ngã, sắc, nặng) and then case only break ties.
VIETNAMESE_ORDER = [
    "Cà Mau",
    "Cao Bằng",
    "Dak Lak",
    "dz",
    "Đà Nẵng",
    "Đắk Lắk",
    "Điện Biên",
    "m a",
    "m-a",
    "m1",
    "ma",
    "Ma",
    "MA",
    "mà",
    "mả",
    "mã",
    "má",
    "mạ",
    "Mạ",
    "ma1",
    "mab",
    "mă",
    "mằ",
    "mặ",
    "mâ",
    "mấ",
    "mb",
    "Ngo",
    "Ngô",
    "Ngụy",
    "Nguyen",
    "Nguyên",
    "Nguyễn",
    "Nguyện",
    "o",
    "ô",
    "ỗ",
    "ơ",
    "u",
    "ư",
    "v",
    "y",
    "ỹ",
    "z",
]


def test_ca_mau_comes_before_cao_bang_and_dak_lak_before_da_nang():
    assert vi_sort_key("Cà Mau") < vi_sort_key("Cao Bằng")
    assert vi_sort_key("Dak Lak") < vi_sort_key("Đà Nẵng")
    assert vi_sort_key("Tỉnh Cà Mau") < vi_sort_key("Tỉnh Cao Bằng")


def test_tones_only_break_ties_in_the_order_huyen_hoi_nga_sac_nang():
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=vi_sort_key) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # A tone never outweighs a later letter: "mạ" < "mb", and "Ánh" < "Bình".
    assert vi_sort_key("mạ") < vi_sort_key("mb")
    assert vi_sort_key("Ánh") < vi_sort_key("Bình")
    # The first tone that differs decides: "aà" before "àa".
    assert vi_sort_key("aà") < vi_sort_key("àa")


def test_letters_with_breve_circumflex_horn_and_stroke_are_letters_of_their_own():
    assert sorted(["â", "b", "ă", "a"], key=vi_sort_key) == ["a", "ă", "â", "b"]
    assert sorted(["e", "ê", "f"], key=vi_sort_key) == ["e", "ê", "f"]
    assert sorted(["p", "ơ", "ô", "o"], key=vi_sort_key) == ["o", "ô", "ơ", "p"]
    assert sorted(["v", "ư", "u"], key=vi_sort_key) == ["u", "ư", "v"]
    assert sorted(["e", "đ", "d"], key=vi_sort_key) == ["d", "đ", "e"]


def test_the_sort_key_gives_the_whole_reference_order():
    assert sorted(reversed(VIETNAMESE_ORDER), key=vi_sort_key) == VIETNAMESE_ORDER


def test_decomposed_and_composed_spellings_sort_together():
    decomposed = "Nguye\u0302\u0303n"  # what some keyboards send: e + circumflex + tilde
    assert vi_sort_key(decomposed) == vi_sort_key("Nguyễn")
    assert vi_sort_key("Nguyên") < vi_sort_key(decomposed) < vi_sort_key("Nguyện")


def test_the_database_sorts_in_the_reference_order(app):
    names = union_all(*[select(literal(name, String).label("name")) for name in reversed(VIETNAMESE_ORDER)]).subquery()
    with app.app_context():
        rows = db.session.scalars(select(names.c.name).order_by(vi_order(names.c.name))).all()
    assert rows == VIETNAMESE_ORDER


def test_the_database_and_the_sort_key_agree_on_every_province_and_commune(app):
    with app.app_context():
        provinces = db.session.scalars(select(Province.name).order_by(vi_order(Province.name), Province.code)).all()
        communes = db.session.scalars(select(Commune.name).order_by(vi_order(Commune.name), Commune.code)).all()
    assert len(communes) > 3000
    assert provinces == sorted(provinces, key=vi_sort_key)
    assert communes == sorted(communes, key=vi_sort_key)
    assert provinces.index("Cà Mau") < provinces.index("Cao Bằng") < provinces.index("Đắk Lắk")
    assert provinces.index("Đắk Lắk") < provinces.index("Điện Biên") < provinces.index("Đồng Nai")
    assert provinces.index("Thành phố Cần Thơ") < provinces.index("Thành phố Đà Nẵng")


# --- /manage: every commune, page by page, in Vietnamese order ------------------------------


def _communes_on(html: str) -> list[str]:
    return re.findall(r'href="/manage/communes/(\d{5})"', html)


def test_manage_pages_through_every_commune_of_the_country(app, factory):
    client = login_as(app, factory, role="admin")[0]
    with app.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Commune))
        expected = db.session.execute(
            select(Commune.code, Commune.name, Province.name).join(Province, Province.code == Commune.province_code)
        ).all()
    expected.sort(key=lambda row: (vi_sort_key(row[2]), vi_sort_key(row[1]), row[0]))
    first = client.get("/manage").text
    pages = -(-total // 100)
    assert f"Trang 1/{pages}" in first
    assert f"{total:,}".replace(",", ".") in first
    seen = []
    for number in range(1, pages + 1):
        seen += _communes_on(client.get("/manage", query_string={"page": number}).text)
    assert seen == [code for code, _, _ in expected]


def test_manage_lists_a_provinces_communes_in_vietnamese_order(app, factory):
    client = login_as(app, factory, role="province_official", province="01")[0]
    html = client.get("/manage").text
    with app.app_context():
        names = dict(db.session.execute(select(Commune.code, Commune.name).where(Commune.province_code == "01")).all())
    shown = _communes_on(html)
    assert len(shown) == min(100, len(names))
    assert [names[code] for code in shown] == sorted(names.values(), key=vi_sort_key)[: len(shown)]


def test_manage_search_keeps_the_query_across_pages(app, factory):
    client = login_as(app, factory, role="admin")[0]
    html = client.get("/manage", query_string={"q": "phuong"}).text
    assert "Trang 1/" in html
    assert 'href="/manage?q=phuong&amp;page=2"' in html


@pytest.mark.parametrize("raw", ["x", "0", "٣"])
def test_manage_refuses_a_bad_page_number(app, factory, raw):
    client = login_as(app, factory, role="admin")[0]
    response = client.get("/manage", query_string={"page": raw})
    assert response.status_code == 400
    assert "Số trang không hợp lệ" in response.text


def test_a_leaders_teams_are_listed_in_vietnamese_order(app, factory):
    from tests.factories import Auth, next_phone

    phone = next_phone()
    leader = factory.user(phone=phone, name="Tổ Trưởng")
    village = factory.village()
    for name in ("Tổ Đồng Tâm", "Tổ Dân Vận", "Tổ Cây Xanh"):
        factory.team(village, name=name, members=(leader,), leader=leader)
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    html = client.get("/manage").text
    shown = re.findall(r'href="/manage/teams/\d+">([^<]+)</a>', html)
    assert shown == ["Tổ Cây Xanh", "Tổ Dân Vận", "Tổ Đồng Tâm"]


def test_every_sqlite_connection_has_the_vi_collation_and_key_function():
    # Registered on connect for any engine, so plain SQL and other tools' queries can use them.
    from sqlalchemy import create_engine, text

    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (name TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:n)"), [{"n": n} for n in reversed(VIETNAMESE_ORDER)])
        by_collation = conn.execute(text("SELECT name FROM t ORDER BY name COLLATE vi")).scalars().all()
        by_key = conn.execute(text("SELECT name FROM t ORDER BY vi_key(name)")).scalars().all()
        assert conn.execute(text("SELECT vi_key(NULL)")).scalar() is None
    engine.dispose()
    assert by_collation == VIETNAMESE_ORDER
    assert by_key == VIETNAMESE_ORDER
