"""Registration at the door: a team member registers a citizen (with a household), hands over a
login card, and the citizen logs in with it. Services and views, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.accounts.models import AssistedRegistration, ResetCode, User
from lms.core.audit import AuditEvent
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.places.models import Household
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, next_phone
from tests.parallel import run_in_parallel

PASSWORD = "mat-khau-123"
CITIZEN_PASSWORD = "ba-Hoa-1958!"


def signed_in(app, phone: str):
    client = app.test_client()
    response = Auth(client).login(phone)
    assert response.status_code == 302, response.text
    return client


@pytest.fixture(name="door")
def door_fixture(app, factory):
    """A team in Thôn Đông (Phường Ba Đình) with a member and a leader; another village of the
    commune without a team of theirs; a team far away (Vũng Tàu) with its own member."""
    phones = SimpleNamespace(member=next_phone(), leader=next_phone(), far_member=next_phone())
    member = factory.user(phone=phones.member, name="Lê Văn Tổ Viên")
    leader = factory.user(phone=phones.leader, name="Phạm Thị Tổ Trưởng")
    village = factory.village(name="Thôn Đông")
    team = factory.team(village, members=(member, leader), leader=leader)
    other_village = factory.village(name="Thôn Tây")
    far_member = factory.user(phone=phones.far_member, name="Trần Văn Xa", commune=OTHER_COMMUNE)
    far_village = factory.village(commune=OTHER_COMMUNE, name="Khu phố 1")
    far_team = factory.team(far_village, members=(far_member,))
    return SimpleNamespace(
        phones=phones,
        member=member,
        leader=leader,
        village=village,
        team=team,
        other_village=other_village,
        far_member=far_member,
        far_village=far_village,
        far_team=far_team,
    )


def form_defaults(client) -> dict:
    page = client.get("/field/register")
    assert page.status_code == 200, page.text
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'id="form_key" name="form_key" type="hidden" value="([^"]+)"', page.text
    )
    assert key, "no form key in the registration form"
    return {"csrf_token": csrf_from(page.text), "form_key": key.group(1)}


def citizen_fields(door, **overrides) -> dict:
    fields = {
        "full_name": "Nguyễn Thị Hoa",
        "phone": "",
        "birth_year": "1958",
        "village": str(door.village),
        "household": "",
        "household_new": "Số 12, ngõ 3",
        "consent": "y",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def register(client, door, defaults=None, headers=None, **overrides):
    data = dict(defaults or form_defaults(client))
    data.update(citizen_fields(door, **overrides))
    return client.post("/field/register", data=data, headers=headers or {})


def read_card(page_html: str) -> tuple[str, str]:
    login = re.search(r"data-card-login>([^<]+)<", page_html)
    code = re.search(r"data-card-code>([^<]+)<", page_html)
    assert login and code, "no login card on the page"
    return html.unescape(login.group(1)).strip(), code.group(1).replace(" ", "").strip()


def card_login(app, login: str, code: str, password: str = CITIZEN_PASSWORD):
    client = app.test_client()
    page = client.get("/login/card")
    response = client.post(
        "/login/card",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": login,
            "code": code,
            "password": password,
            "password_confirm": password,
        },
    )
    return client, response


def citizens(app, name="Nguyễn Thị Hoa") -> list[User]:
    with app.app_context():
        rows = db.session.scalars(select(User).where(User.full_name == name)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


# --- registering -------------------------------------------------------------------------------


def test_member_registers_a_citizen_without_a_phone_and_a_new_household(app, door, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://hocso.example.gov.vn")
    client = signed_in(app, door.phones.member)
    response = register(client, door)  # asked of http://localhost/
    assert response.status_code == 200, response.text
    assert "Thẻ đăng nhập Học số cộng đồng" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    login, code = read_card(response.text)
    assert re.fullmatch(r"HS-\d{3}-\d{3}-\d{3}", login)
    assert re.fullmatch(r"\d{8}", code)
    # The card's address is the deployment's public one, never the request's Host header.
    assert '<dd class="card-url" data-card-url>https://hocso.example.gov.vn/login/card</dd>' in response.text
    assert "http://localhost/login/card" not in response.text
    [citizen] = citizens(app)
    with app.app_context():
        person = db.session.get(User, citizen.id)
        assert person.phone == login.replace("-", "")
        assert person.home_commune_code == DEMO_COMMUNE
        assert person.birth_year == 1958 and person.consent_at is not None and person.consent_version
        household = db.session.get(Household, person.household_id)
        assert (household.label, household.label_key, household.village_id) == ("Số 12, ngõ 3", "so 12 ngo 3", door.village)
        assert household.created_by_id == door.member
        registration = db.session.scalar(select(AssistedRegistration).where(AssistedRegistration.citizen_id == person.id))
        assert registration.member_id == door.member and registration.household_id == household.id
        assert registration.consent_read_aloud_at is not None
        [reset] = db.session.scalars(select(ResetCode).where(ResetCode.user_id == person.id)).all()
        assert reset.code_hash != code and code not in reset.code_hash and reset.created_by_id == door.member
        assert timedelta(days=6, hours=23) < reset.expires_at - utcnow() <= timedelta(days=7)
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == door.member, AuditEvent.target_id == str(person.id))
        ).all()
        assert sorted(actions) == ["assisted.register", "password.reset_code"]


def test_a_citizen_with_a_phone_gets_the_phone_as_login_and_an_existing_household(app, door, factory):
    client = signed_in(app, door.phones.member)
    first = register(client, door, full_name="Nguyễn Văn Ba")
    assert first.status_code == 200, first.text
    with app.app_context():
        household_id = db.session.scalar(select(Household.id).where(Household.village_id == door.village))
    response = register(client, door, phone="0933 444 555", household=str(household_id), household_new="")
    assert response.status_code == 200, response.text
    login, _code = read_card(response.text)
    assert login == "0933 444 555"
    [citizen] = citizens(app)
    assert citizen.phone == "+84933444555" and citizen.household_id == household_id
    assert factory.count(Household, Household.village_id == door.village) == 1


def test_the_card_logs_the_citizen_in_once_and_then_the_password_works(app, door):
    client = signed_in(app, door.phones.member)
    login, code = read_card(register(client, door).text)
    citizen_client, response = card_login(app, login.lower().replace("-", " "), code)
    assert response.status_code == 302, response.text
    home = citizen_client.get("/")
    assert "Xin chào, Nguyễn Thị Hoa!" in home.text
    # The code is spent: a second use fails, with the card's wording.
    _client, again = card_login(app, login, code, password="mat-khau-khac-9")
    assert again.status_code == 422
    assert "Mã trên thẻ không đúng, đã dùng rồi hoặc đã hết hạn." in again.text
    # From now on the login ID and the chosen password log in at /login.
    fresh = app.test_client()
    assert Auth(fresh).login(login, CITIZEN_PASSWORD).status_code == 302
    assert Auth(app.test_client()).login(login, "mat-khau-sai-1").status_code == 422


def test_a_wrong_code_uses_a_try_and_five_end_the_card(app, door):
    client = signed_in(app, door.phones.member)
    login, code = read_card(register(client, door).text)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(5):
        _c, response = card_login(app, login, wrong)
        assert response.status_code == 422
        assert 'id="code-error"' in response.text
    _c, response = card_login(app, login, code)
    assert response.status_code == 422, "the right code after five wrong tries must not work"
    [citizen] = citizens(app)
    with app.app_context():
        assert db.session.scalar(select(ResetCode.failed_attempts).where(ResetCode.user_id == citizen.id)) == 5


def test_an_expired_card_is_refused(app, door):
    client = signed_in(app, door.phones.member)
    login, code = read_card(register(client, door).text)
    with app.app_context():
        for reset in db.session.scalars(select(ResetCode)):
            reset.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    _c, response = card_login(app, login, code)
    assert response.status_code == 422
    assert "đã hết hạn" in response.text


def test_a_malformed_login_id_says_what_a_login_id_looks_like(app, door):
    client = signed_in(app, door.phones.member)
    login, code = read_card(register(client, door).text)
    digits = login.replace("-", "")[2:]
    broken = "HS" + digits[:-1] + str((int(digits[-1]) + 1) % 10)  # check digit off by one
    _c, response = card_login(app, broken, code)
    assert response.status_code == 422
    assert "Mã đăng nhập gồm chữ HS và 9 chữ số" in response.text
    # Nothing was spent by a login that never reached a code.
    _c, response = card_login(app, login, code)
    assert response.status_code == 302


def test_an_existing_phone_gets_one_neutral_message_wherever_its_owner_lives(app, door, factory):
    here = next_phone()
    far = next_phone()
    factory.user(phone=here, name="Đỗ Thị Ở Đây")
    far_id = factory.user(phone=far, name="Vũ Văn Ở Xa", commune=OTHER_COMMUNE)
    client = signed_in(app, door.phones.member)
    messages = []
    for phone in (here, far):
        response = register(client, door, phone=phone)
        assert response.status_code == 422
        assert 'id="phone-error"' in response.text
        error = re.search(r'<p class="error" id="phone-error">([^<]+)</p>', response.text).group(1)
        messages.append(error)
        assert "Ở Đây" not in response.text and "Ở Xa" not in response.text
    assert messages[0] == messages[1]
    assert "đã có tài khoản" in messages[0]
    far_person = factory.get_user(far_id)
    assert far_person.home_commune_code == OTHER_COMMUNE and far_person.household_id is None
    assert citizens(app) == []
    assert factory.count(Household) == 0, "a refused registration leaves no household behind"
    assert factory.count(AssistedRegistration) == 0


# --- double clicks, retries and races -----------------------------------------------------------


def test_the_same_form_sent_twice_registers_one_person_and_the_newest_card_works(app, door, factory):
    client = signed_in(app, door.phones.member)
    defaults = form_defaults(client)
    first = register(client, door, defaults)
    second = register(client, door, defaults)
    assert first.status_code == second.status_code == 200
    assert "Biểu mẫu này đã được gửi trước đó" in second.text
    login_1, code_1 = read_card(first.text)
    login_2, code_2 = read_card(second.text)
    assert login_1 == login_2
    assert len(citizens(app)) == 1
    assert factory.count(Household) == 1 and factory.count(AssistedRegistration) == 1
    # The browser shows the last answer; only its code opens the account.
    _c, old = card_login(app, login_1, code_1)
    assert old.status_code == 422
    _c, new = card_login(app, login_2, code_2)
    assert new.status_code == 302


def test_a_repeat_after_the_card_was_used_issues_no_new_code(app, door, factory):
    client = signed_in(app, door.phones.member)
    defaults = form_defaults(client)
    login, code = read_card(register(client, door, defaults).text)
    assert card_login(app, login, code)[1].status_code == 302
    again = register(client, door, defaults)
    assert again.status_code == 422
    assert "đã được đăng ký và đã dùng thẻ" in again.text
    assert "data-card-code" not in again.text
    assert factory.count(ResetCode, ResetCode.used_at.is_(None)) == 0


def test_parallel_copies_of_one_form_register_one_person(app, door, factory):
    defaults_client = signed_in(app, door.phones.member)
    defaults = form_defaults(defaults_client)
    clients = [signed_in(app, door.phones.member) for _ in range(4)]

    def send(i):
        data = dict(defaults)
        data["csrf_token"] = csrf_from(clients[i].get("/field/register").text)
        data.update(citizen_fields(door))
        return clients[i].post("/field/register", data=data).status_code

    assert run_in_parallel(4, send) == [200] * 4
    assert len(citizens(app)) == 1
    assert factory.count(AssistedRegistration) == 1 and factory.count(Household) == 1
    assert factory.count(ResetCode, ResetCode.used_at.is_(None)) == 1


def test_parallel_registrations_of_one_phone_make_one_account(app, door, factory):
    clients = [signed_in(app, door.phones.member) for _ in range(4)]
    forms = [form_defaults(c) for c in clients]

    def send(i):
        return register(clients[i], door, forms[i], phone="0933 777 888", household_new=f"Nhà số {i + 1}").status_code

    statuses = run_in_parallel(4, send)
    assert sorted(statuses) == [200, 422, 422, 422]
    assert factory.count(User, User.phone == "+84933777888") == 1
    assert factory.count(AssistedRegistration) == 1 and factory.count(Household) == 1


# --- what the form refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": "A"}, "full_name", "Bạn hãy nhập họ và tên đầy đủ."),
        ({"full_name": "Nguyễn 123"}, "full_name", "Họ và tên chỉ gồm chữ cái"),
        ({"phone": "0243 123 456"}, "phone", "Đây là số máy bàn."),
        ({"birth_year": ""}, "birth_year", "Bạn hãy nhập năm sinh của người dân."),
        ({"birth_year": "١٩٥٨"}, "birth_year", "Năm sinh phải là số"),
        ({"birth_year": "1890"}, "birth_year", "Năm sinh phải trong khoảng"),
        ({"village": ""}, "village", "Bạn hãy chọn một thôn/tổ dân phố của tổ bạn."),
        ({"village": "99999999999999"}, "village", "Bạn hãy chọn một thôn/tổ dân phố của tổ bạn."),
        ({"village": "²"}, "village", "Bạn hãy chọn một thôn/tổ dân phố của tổ bạn."),
        ({"household_new": ""}, "household", "Bạn hãy chọn hộ của người dân, hoặc ghi địa chỉ hộ mới."),
        ({"household_new": "CCCD 001 085 012 345"}, "household_new", "Không ghi số căn cước"),
        ({"household_new": "Nhà\u202eông Tư"}, "household_new", "ký tự không hợp lệ"),
        ({"full_name": "Nguyễn\u200bHoa"}, "full_name", "ký tự điều khiển"),
        ({"household_new": "x" * 121}, "household_new", "Địa chỉ hộ dài tối đa 120 ký tự."),
        ({"household": "2147483648", "household_new": ""}, "household", "Bạn hãy chọn hộ của người dân"),
        ({"consent": None}, "consent", "Bạn hãy đọc to thông báo xử lý dữ liệu cá nhân"),
    ],
)
def test_each_faulty_field_is_named_and_what_was_typed_is_kept(app, door, factory, overrides, field, message):
    client = signed_in(app, door.phones.member)
    response = register(client, door, **overrides)
    assert response.status_code == 422, response.text
    error = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', response.text)
    assert error, f"no message next to {field}"
    assert message in html.unescape(error.group(1))
    typed = {**citizen_fields(door), **overrides}
    if field != "full_name":
        assert 'value="Nguyễn Thị Hoa"' in response.text
    if field not in ("household_new",) and typed.get("household_new"):
        assert html.escape(typed["household_new"]) in response.text or typed["household_new"] in response.text
    assert factory.count(User) == 3 and factory.count(Household) == 0


def test_a_village_outside_the_members_teams_is_refused(app, door, factory):
    client = signed_in(app, door.phones.member)
    for village in (door.other_village, door.far_village):
        response = register(client, door, village=str(village))
        assert response.status_code == 422
        assert "Bạn hãy chọn một thôn/tổ dân phố của tổ bạn." in response.text
    assert factory.count(Household) == 0 and citizens(app) == []


def test_a_household_of_another_village_and_both_kinds_at_once_are_refused(app, door, factory, make_household):
    far_household = make_household(door.far_village, "Số 1, đường Biển", door.far_member)
    client = signed_in(app, door.phones.member)
    response = register(client, door, household=str(far_household), household_new="")
    assert response.status_code == 422
    assert "Hộ này không thuộc thôn đã chọn." in response.text
    here = make_household(door.village, "Số 5, ngõ 1", door.member)
    response = register(client, door, household=str(here), household_new="Số 6, ngõ 1")
    assert response.status_code == 422
    assert "không chọn cả hai" in response.text
    assert citizens(app) == []


def test_a_new_household_that_folds_to_an_existing_one_is_named(app, door, make_household):
    make_household(door.village, "Số 12, ngõ 3", door.leader)
    client = signed_in(app, door.phones.member)
    response = register(client, door, household_new="so 12  NGÕ 3")
    assert response.status_code == 422
    assert "Thôn này đã có hộ “Số 12, ngõ 3”" in html.unescape(response.text)
    assert citizens(app) == []


def test_nul_bytes_are_refused_with_a_message_and_write_nothing(app, door, factory):
    client = signed_in(app, door.phones.member)
    for field in ("full_name", "household_new", "phone", "household_q", "form_key"):
        response = register(client, door, **{field: "Nhà\x00ông"})
        assert response.status_code == 400, field
        assert "ký tự không hợp lệ" in response.text
    assert citizens(app) == [] and factory.count(Household) == 0


def test_a_stale_or_forged_form_key_is_a_form_message(app, door):
    client = signed_in(app, door.phones.member)
    defaults = form_defaults(client)
    for key in ("", "short", "a" * 65, "../../etc/passwd/x", "x²" * 10):
        response = register(client, door, dict(defaults, form_key=key))
        assert response.status_code == 422, key
        assert "Biểu mẫu này đã cũ." in response.text
    assert citizens(app) == []


def test_the_no_javascript_search_keeps_the_form_and_lists_matches(app, door, make_household):
    make_household(door.village, "Số 12, ngõ 3", door.member)
    make_household(door.village, "Nhà ông Tư, xóm Bãi", door.member)
    client = signed_in(app, door.phones.member)
    data = dict(form_defaults(client), **citizen_fields(door, household_new=""), household_q="XOM bai", find_household="Tìm hộ")
    response = client.post("/field/register", data=data)
    assert response.status_code == 200
    assert "Nhà ông Tư, xóm Bãi</option>" in response.text
    assert "Số 12, ngõ 3</option>" not in response.text
    assert 'value="Nguyễn Thị Hoa"' in response.text and 'class="error"' not in response.text
    assert citizens(app) == []


# --- what registering gives the member (nothing over the person) ---------------------------------


def test_the_member_may_not_see_reset_or_edit_whom_they_registered(app, door, factory):
    client = signed_in(app, door.phones.member)
    register(client, door)
    [citizen] = citizens(app)
    assert client.get(f"/people/{citizen.id}").status_code == 404
    page = client.get("/")
    response = client.post(f"/people/{citizen.id}/reset-code", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 404
    leader = signed_in(app, door.phones.leader)
    assert leader.get(f"/people/{citizen.id}").status_code == 404
    official_phone = next_phone()
    factory.user(phone=official_phone, role="commune_official", role_commune=DEMO_COMMUNE)
    official = signed_in(app, official_phone)
    assert official.get(f"/people/{citizen.id}").status_code == 200
    page = official.get(f"/people/{citizen.id}")
    issued = official.post(f"/people/{citizen.id}/reset-code", data={"csrf_token": csrf_from(page.text)})
    assert issued.status_code == 200
    code = re.search(r'class="code"[^>]*>(\d{4}) (\d{4})<', issued.text)
    assert code, issued.text
    # The official's code replaces the card's, and works at the card page too.
    login = "HS" + citizen.phone[2:]
    assert card_login(app, login, code.group(1) + code.group(2))[1].status_code == 302


def test_registration_is_only_for_team_members(app, door, factory):
    learner_phone = next_phone()
    factory.user(phone=learner_phone)
    learner = signed_in(app, learner_phone)
    assert learner.get("/field/register").status_code == 404
    assert "Đăng ký giúp người dân" not in learner.get("/").text
    member = signed_in(app, door.phones.member)
    assert "Đăng ký giúp người dân" in member.get("/").text
    assert app.test_client().get("/field/register").status_code == 302


@pytest.fixture(name="make_household")
def make_household_fixture(app):
    """A household put straight into the database (no signal, no audit)."""

    def make(village_id: int, label: str, creator: int) -> int:
        from lms.places.households import label_key
        from lms.places.models import Village

        with app.app_context():
            village = db.session.get(Village, village_id)
            row = Household(
                village_id=village_id,
                commune_code=village.commune_code,
                label=label,
                label_key=label_key(label),
                created_by_id=creator,
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    return make


def test_the_card_lasts_the_configured_days_within_bounds(app):
    from lms.accounts.assisted import card_code_days

    saved = app.config.get("CARD_CODE_DAYS")
    try:
        with app.app_context():
            seen = []
            for value in (None, 2, "3", 90, "many"):
                app.config["CARD_CODE_DAYS"] = value
                seen.append(card_code_days())
        assert seen == [7, 2, 3, 30, 7]
    finally:
        app.config["CARD_CODE_DAYS"] = saved
