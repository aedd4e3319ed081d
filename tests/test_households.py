"""Households of a village: who may add them, one household per folded address, no identity
numbers, accent-free search, pages, the search API, and the signal the reports count."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.core import signals
from lms.core.audit import AuditEvent
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.places import households
from lms.places.models import Household
from lms.reports.models import NO_COURSE, Rollup
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, next_phone
from tests.parallel import run_in_parallel
from tests.test_assisted import door_fixture, make_household_fixture, signed_in  # noqa: F401  (fixtures door, make_household)


def create(app, actor_id, village_id, label, **kwargs):
    with app.test_request_context("/", method="POST"):
        actor = db.session.get(User, actor_id)
        row = households.create_household(actor, village_id, label, **kwargs)
        db.session.commit()
        return row.id


def labels(app, village_id):
    with app.app_context():
        return [h.label for h in households.households_of_village(village_id)]


# --- services ----------------------------------------------------------------------------------


def test_members_leaders_and_officials_in_scope_add_households(app, factory, door):
    official = factory.user(role="commune_official", role_commune=DEMO_COMMUNE)
    province = factory.user(role="province_official", province="01")
    admin = factory.user(role="admin")
    for actor, label in ((door.member, "Số 1"), (door.leader, "Số 2"), (official, "Số 3"), (province, "Số 4"), (admin, "Số 5")):
        create(app, actor, door.village, label)
    assert labels(app, door.village) == ["Số 1", "Số 2", "Số 3", "Số 4", "Số 5"]
    with app.app_context():
        row = db.session.scalar(select(Household).where(Household.label == "Số 1"))
        assert (row.commune_code, row.created_by_id) == (DEMO_COMMUNE, door.member)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "household.create", AuditEvent.target_id == str(row.id))
        )
        assert event.actor_id == door.member and event.detail == {"village": door.village}


def test_nobody_else_adds_a_household(app, factory, door):
    learner = factory.user()
    far_official = factory.user(role="commune_official", role_commune=OTHER_COMMUNE)
    cases = [
        (learner, door.village),
        (far_official, door.village),
        (door.member, door.other_village),  # same commune, not the member's team's village
        (door.member, door.far_village),
        (door.far_member, door.village),
    ]
    for actor, village in cases:
        with pytest.raises(NotFound):
            create(app, actor, village, "Số 9")
    assert factory.count(Household) == 0


def test_two_spellings_of_one_address_are_one_household(app, factory, door):
    create(app, door.member, door.village, "Số 12, ngõ 3")
    for spelling in ("so 12 ngo 3", "SỐ 12 – NGÕ 3", "  Số  12 , ngõ 3 "):
        with pytest.raises(households.HouseholdExists) as raised:
            create(app, door.leader, door.village, spelling)
        assert (
            raised.value.message
            == "Thôn này đã có hộ “Số 12, ngõ 3”. Bạn hãy chọn hộ đó, hoặc ghi địa chỉ rõ hơn (số nhà, ngõ, xóm)."
        )
        assert raised.value.field == "label"
    # Another village may have the same address.
    create(app, door.far_member, door.far_village, "Số 12, ngõ 3")
    assert factory.count(Household) == 2


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("", "Bạn hãy ghi địa chỉ của hộ"),
        ("  ,.- ", "Bạn hãy ghi địa chỉ của hộ"),
        ("x" * 121, "Địa chỉ hộ dài tối đa 120 ký tự."),
        ("Nhà\u202eông Tư", "ký tự không hợp lệ"),
        ("Nhà\x00ông Tư", "ký tự không hợp lệ"),
        ("CMND 123456789", "Không ghi số căn cước"),
        ("Căn cước 001.085.012.345", "Không ghi số căn cước"),
        ("Nhà chị Lan 0912 345 678", "Không ghi số căn cước"),
    ],
)
def test_bad_labels_are_refused_with_a_message(app, factory, door, label, message):
    with pytest.raises(ValidationFailed) as raised:
        create(app, door.member, door.village, label)
    assert message in raised.value.message
    assert factory.count(Household) == 0


def test_short_numbers_of_an_address_are_fine(app, door):
    create(app, door.member, door.village, "Số 125/47, ngõ 3, tổ 12")
    assert labels(app, door.village) == ["Số 125/47, ngõ 3, tổ 12"]


def test_a_new_household_is_announced_and_counted_for_its_village(app, door):
    seen = []

    def receiver(_sender, *, household, **_):
        seen.append((household.village_id, household.label))

    signals.household_created.connect(receiver)
    try:
        create(app, door.member, door.village, "Số 1")
        create(app, door.member, door.village, "Số 2")
    finally:
        signals.household_created.disconnect(receiver)
    assert seen == [(door.village, "Số 1"), (door.village, "Số 2")]
    with app.app_context():
        counted = db.session.scalar(
            select(func.sum(Rollup.households)).where(
                Rollup.level == "village", Rollup.place == str(door.village), Rollup.course_id == NO_COURSE
            )
        )
        assert counted == 2


def test_households_sort_in_vietnamese_order_and_search_without_accents(app, door):
    for label in ("Nhà ông Đức, xóm Bãi", "Nhà bà Dung", "Số 12, ngõ 3", "Nhà ông Tư, xóm Chợ", "Ấp Mới số 2"):
        create(app, door.member, door.village, label)
    assert labels(app, door.village) == [
        "Ấp Mới số 2",
        "Nhà bà Dung",
        "Nhà ông Đức, xóm Bãi",
        "Nhà ông Tư, xóm Chợ",
        "Số 12, ngõ 3",
    ]
    with app.app_context():
        found = {
            q: [h.label for h in households.households_of_village(door.village, q)]
            for q in ("xom", "ngo 3", "DUC", "ap moi", "ong t")
        }
    assert found == {
        "xom": ["Nhà ông Đức, xóm Bãi", "Nhà ông Tư, xóm Chợ"],
        "ngo 3": ["Số 12, ngõ 3"],
        "DUC": ["Nhà ông Đức, xóm Bãi"],
        "ap moi": ["Ấp Mới số 2"],
        "ong t": ["Nhà ông Tư, xóm Chợ"],
    }


def test_parallel_adds_of_one_address_make_one_household(app, factory, door):
    def add(i):
        try:
            return create(app, door.member if i % 2 else door.leader, door.village, "Số 7, ngõ 2" if i % 2 else "so 7 ngo 2")
        except households.HouseholdExists:
            return "exists"

    results = run_in_parallel(4, add)
    assert sorted(results, key=str).count("exists") == 3
    assert factory.count(Household) == 1


# --- pages -------------------------------------------------------------------------------------


def test_the_village_page_lists_counts_and_adds(app, door, factory):
    client = signed_in(app, door.phones.member)
    url = f"/field/villages/{door.village}/households"
    page = client.get(url)
    assert page.status_code == 200 and "Chưa có hộ nào." in page.text
    response = client.post(url, data={"csrf_token": csrf_from(page.text), "label": "Nhà ông Tư, xóm Bãi"})
    assert response.status_code == 302
    listed = client.get(url).text
    assert "Đã thêm hộ “Nhà ông Tư, xóm Bãi”." in html.unescape(listed)
    assert "<td>Nhà ông Tư, xóm Bãi</td><td>0</td>" in listed
    assert "1 hộ" in listed
    assert listed.count("Cache-Control") == 0 and client.get(url).headers["Cache-Control"] == "no-store"


def test_a_double_click_adds_one_household_and_shows_success_twice(app, door, factory):
    client = signed_in(app, door.phones.member)
    url = f"/field/villages/{door.village}/households"
    token = csrf_from(client.get(url).text)
    first = client.post(url, data={"csrf_token": token, "label": "Số 3, ngõ 9"})
    second = client.post(url, data={"csrf_token": token, "label": "Số 3, ngõ 9"})
    assert first.status_code == second.status_code == 302
    assert factory.count(Household) == 1


def test_someone_elses_household_with_that_address_is_a_message_that_keeps_what_was_typed(app, door, make_household):
    make_household(door.village, "Số 3, ngõ 9", door.leader)
    client = signed_in(app, door.phones.member)
    url = f"/field/villages/{door.village}/households"
    response = client.post(url, data={"csrf_token": csrf_from(client.get(url).text), "label": "so 3 ngo 9"})
    assert response.status_code == 422
    assert re.search(r'id="label-error">Thôn này đã có hộ “Số 3, ngõ 9”', html.unescape(response.text))
    assert 'value="so 3 ngo 9"' in response.text


def test_the_list_is_paged_with_counts_and_searchable(app, door):
    with app.app_context():
        for n in range(1, 121):
            db.session.add(
                Household(
                    village_id=door.village,
                    commune_code=DEMO_COMMUNE,
                    label=f"Nhà số {n:03d}",
                    label_key=households.label_key(f"Nhà số {n:03d}"),
                )
            )
        db.session.commit()
    client = signed_in(app, door.phones.member)
    url = f"/field/villages/{door.village}/households"
    first = client.get(url).text
    assert "120 hộ" in first and "Trang 1/3" in first
    assert first.count("<td>Nhà số") == 50 and "Nhà số 001" in first and "Nhà số 051" not in first
    last = client.get(url + "?page=3").text
    assert last.count("<td>Nhà số") == 20 and "Nhà số 120" in last
    found = client.get(url + "?q=so+11").text
    assert "10 hộ khớp" in html.unescape(found)  # 110 to 119: "11" begins no word of "nha so 011"
    assert client.get(url + "?page=0").status_code == 400
    assert client.get(url + "?page=²").status_code == 400


def test_the_search_api_answers_the_registration_form(app, door, make_household):
    make_household(door.village, "Nhà ông Tư, xóm Bãi", door.member)
    make_household(door.village, "Số 12, ngõ 3", door.member)
    make_household(door.far_village, "Nhà ông Tư, xóm Bãi", door.far_member)
    client = signed_in(app, door.phones.member)
    answer = client.get(f"/api/field/households?village={door.village}&q=tu+xom")
    assert answer.status_code == 200
    assert [r["label"] for r in answer.json["results"]] == ["Nhà ông Tư, xóm Bãi"] and answer.json["more"] is False
    everything = client.get(f"/api/field/households?village={door.village}").json
    assert [r["label"] for r in everything["results"]] == ["Nhà ông Tư, xóm Bãi", "Số 12, ngõ 3"]
    for query in (f"village={door.far_village}", f"village={door.other_village}", "village=2147483648", "village=²", "village="):
        response = client.get(f"/api/field/households?{query}")
        assert response.status_code == 404 and response.is_json, query
    long = client.get(f"/api/field/households?village={door.village}&q=" + "x" * 5000)
    assert long.status_code == 200 and long.json["results"] == []
    nul = client.get(f"/api/field/households?village={door.village}&q=a%00b")
    assert nul.status_code == 400 and nul.is_json
    assert app.test_client().get(f"/api/field/households?village={door.village}").status_code == 404


def test_the_registration_form_lists_the_villages_households(app, door, make_household):
    make_household(door.village, "Nhà ông Tư, xóm Bãi", door.member)
    make_household(door.far_village, "Nhà bà Năm", door.far_member)
    client = signed_in(app, door.phones.member)
    page = client.get("/field/register").text
    assert "Nhà ông Tư, xóm Bãi</option>" in page and "Nhà bà Năm" not in page
    assert f"/field/villages/{door.village}/households" in page


def test_an_official_adds_a_household_from_the_page_but_may_not_register_people(app, door, factory):
    phone = next_phone()
    factory.user(phone=phone, role="commune_official", role_commune=DEMO_COMMUNE)
    client = signed_in(app, phone)
    url = f"/field/villages/{door.other_village}/households"
    page = client.get(url)
    assert page.status_code == 200
    assert client.post(url, data={"csrf_token": csrf_from(page.text), "label": "Số 4"}).status_code == 302
    assert labels(app, door.other_village) == ["Số 4"]
    assert client.get("/field/register").status_code == 404
