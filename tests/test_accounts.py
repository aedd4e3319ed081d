"""Registration, login, logout everywhere, password change and reset, export and deletion."""

import json

from sqlalchemy import select

from lms.accounts.models import User
from lms.core.extensions import db
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, Auth, csrf_from, login_as, next_phone


def register(client, **overrides):
    page = client.get("/register")
    data = {
        "csrf_token": csrf_from(page.text),
        "phone": next_phone(),
        "full_name": "Nguyễn Thị Hoa",
        "birth_year": "1990",
        "province": "01",
        "commune": DEMO_COMMUNE,
        "email": "",
        "password": "mat-khau-123",
        "password_confirm": "mat-khau-123",
        "consent": "y",
    }
    data.update(overrides)
    return client.post("/register", data=data), data


def users_with_phone(app, e164):
    with app.app_context():
        return db.session.scalars(select(User).where(User.phone == e164)).all()


def test_register_creates_account_with_e164_phone_and_logs_in(app, client):
    response, data = register(client, phone="+84 912 000 111", full_name="  Nguyễn   Thị Hoa ")
    assert response.status_code == 302
    [user] = users_with_phone(app, "+84912000111")
    assert user.full_name == "Nguyễn Thị Hoa"
    assert user.home_commune_code == DEMO_COMMUNE
    assert user.consent_at is not None and user.consent_version
    assert "Xin chào, Nguyễn Thị Hoa" in client.get("/").text


def test_register_normalises_decomposed_name_to_nfc(app, client):
    decomposed = "Nguye\u0302\u0303n Va\u0306n A"
    register(client, phone="0912000112", full_name=decomposed)
    [user] = users_with_phone(app, "+84912000112")
    assert user.full_name == "Nguyễn Văn A"


def test_duplicate_phone_is_refused_next_to_the_field_and_keeps_input(app, client):
    register(client, phone="0912000113")
    other = app.test_client()
    response, _ = register(other, phone="0912 000 113", full_name="Trần Văn Bình")
    assert response.status_code == 422
    assert "Số điện thoại này đã có tài khoản" in response.text
    assert 'value="Trần Văn Bình"' in response.text
    assert "mat-khau-123" not in response.text
    assert len(users_with_phone(app, "+84912000113")) == 1


def test_bad_inputs_each_get_a_message_and_no_account(app, client):
    cases = [
        ({"phone": "024 3825 1234"}, "số máy bàn"),
        ({"phone": "09123"}, "10 chữ số"),
        ({"full_name": "Nguyễn\x07Văn"}, "ký tự điều khiển"),
        ({"full_name": "A" * 81}, "tối đa 80 ký tự"),
        ({"full_name": "<script>alert(1)</script>"}, "chỉ gồm chữ cái"),
        ({"commune": "99999", "province": ""}, "Không có xã/phường/đặc khu với mã này"),
        ({"consent": ""}, "đồng ý với thông báo xử lý dữ liệu cá nhân"),
        ({"password": "123", "password_confirm": "123"}, "ít nhất 8 ký tự"),
        ({"password_confirm": "khac-hoan-toan"}, "không khớp"),
        ({"birth_year": "1800"}, "Năm sinh"),
        ({"birth_year": "năm bảy lăm"}, "Năm sinh phải là số, ví dụ 1975."),
        ({"email": "khong-phai-email"}, "Địa chỉ thư điện tử không hợp lệ"),
    ]
    for overrides, message in cases:
        response, data = register(app.test_client(), **overrides)
        assert response.status_code == 422, overrides
        assert message in response.text, (overrides, message)
        assert users_with_phone(app, "+84" + data["phone"][1:]) == [], overrides


def test_crash_mid_registration_leaves_no_half_made_account(app, client, monkeypatch):
    def broken_commit():
        raise RuntimeError("disk full")

    page = client.get("/register")
    monkeypatch.setattr(db.session, "commit", broken_commit)
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": "0912000114",
            "full_name": "Lê Văn Cường",
            "province": "01",
            "commune": DEMO_COMMUNE,
            "password": "mat-khau-123",
            "password_confirm": "mat-khau-123",
            "consent": "y",
        },
    )
    monkeypatch.undo()
    assert response.status_code == 500
    assert "Hệ thống gặp sự cố" in response.text
    assert "Traceback" not in response.text
    assert users_with_phone(app, "+84912000114") == []


def test_no_js_commune_picker_lists_communes_of_chosen_province_and_keeps_input(client):
    page = client.get("/register")
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": "0912000115",
            "full_name": "Phạm Thu Hà",
            "province": "01",
            "commune": "",
            "pick_province": "Chọn tỉnh này",
            "password": "bi-mat-999",
        },
    )
    assert response.status_code == 200
    assert '<option value="00004">Phường Ba Đình</option>' in response.text
    assert 'value="Phạm Thu Hà"' in response.text
    assert "bi-mat-999" not in response.text
    assert "Đăng ký thành công" not in response.text


def test_login_and_logout(app, factory, client, auth):
    phone = next_phone()
    factory.user(phone=phone)
    response = auth.login(phone)
    assert response.status_code == 302
    assert "Đăng xuất" in client.get("/").text
    auth.logout()
    assert "Đăng nhập" in client.get("/").text
    assert client.get("/account").status_code == 302


def test_wrong_password_shows_one_message_and_keeps_phone(factory, client, auth):
    phone = next_phone()
    factory.user(phone=phone)
    response = auth.login(phone, "sai-mat-khau")
    assert response.status_code == 422
    assert "Số điện thoại hoặc mật khẩu không đúng." in response.text
    assert f'value="{phone}"' in response.text
    assert "sai-mat-khau" not in response.text


def _login_from(app, address, phone, password):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Auth(client).login(phone, password)


def test_wrong_passwords_back_off_the_guessing_address_only(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    statuses = [Auth(guesser).login(phone, f"sai-{i}").status_code for i in range(7)]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429, 429]
    page = Auth(guesser).login(phone, "mat-khau-123")
    assert page.status_code == 429
    assert "Bạn đã nhập sai nhiều lần. Bạn hãy đợi" in page.text and "giây rồi thử lại." in page.text
    # The owner, on their own phone, gets in at once: the guesser slowed only themselves.
    assert _login_from(app, "198.51.100.20", phone, "mat-khau-123").status_code == 302


def test_right_password_clears_the_failures_of_that_address(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    for i in range(4):
        assert _login_from(app, "203.0.113.8", phone, f"sai-{i}").status_code == 422
    assert _login_from(app, "203.0.113.8", phone, "mat-khau-123").status_code == 302
    statuses = [_login_from(app, "203.0.113.8", phone, f"sai-lai-{i}").status_code for i in range(5)]
    assert statuses == [422] * 5


def test_guessing_from_many_addresses_stops_the_phone_until_a_reset(app, factory):
    from lms.accounts import services
    from lms.accounts.models import User

    phone = next_phone()
    uid = factory.user(phone=phone)
    limit = app.config["LOGIN_PHONE_FAILURE_LIMIT"]
    for i in range(limit):
        assert _login_from(app, f"203.0.113.{i % 200 + 1}", phone, f"sai-{i}").status_code == 422
    stopped = _login_from(app, "198.51.100.30", phone, "mat-khau-123")
    assert stopped.status_code == 429
    assert "nhờ cán bộ xã cấp mã đặt lại mật khẩu" in stopped.text
    admin_id = factory.user(role="admin")
    with app.test_request_context():
        code = services.issue_reset_code(db.session.get(User, admin_id), uid)
        db.session.commit()
    reset_client = app.test_client()
    reset_client.environ_base["REMOTE_ADDR"] = "198.51.100.30"
    done = Auth(reset_client).post(
        "/reset", {"phone": phone, "code": code, "password": "mat-khau-moi-7", "password_confirm": "mat-khau-moi-7"}
    )
    assert done.status_code == 302
    assert _login_from(app, "198.51.100.30", phone, "mat-khau-moi-7").status_code == 302


def test_a_class_behind_one_address_can_all_log_in(app, factory):
    """30 learners on one Wi-Fi log in within a minute, some after a typo."""
    phones = [next_phone() for _ in range(30)]
    for phone in phones:
        factory.user(phone=phone)
    for i, phone in enumerate(phones):
        if i % 3 == 0:
            assert _login_from(app, "192.0.2.50", phone, "go-nham-mat-khau").status_code == 422
        assert _login_from(app, "192.0.2.50", phone, "mat-khau-123").status_code == 302


def test_login_redirects_only_to_local_paths(factory, client):
    phone = next_phone()
    factory.user(phone=phone)
    for target, expected in [("/account", "/account"), ("https://evil.example/", "/"), ("//evil.example", "/")]:
        fresh = Auth(client.application.test_client())
        page = fresh.client.get(f"/login?next={target}")
        response = fresh.client.post(
            f"/login?next={target}", data={"csrf_token": csrf_from(page.text), "phone": phone, "password": "mat-khau-123"}
        )
        assert response.headers["Location"] == expected


def test_logout_everywhere_ends_sessions_on_other_devices(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    phone_client, tablet_client = app.test_client(), app.test_client()
    Auth(phone_client).login(phone)
    Auth(tablet_client).login(phone)
    assert tablet_client.get("/account").status_code == 200
    Auth(phone_client).post("/account/logout-everywhere", page="/account")
    assert tablet_client.get("/account").status_code == 302
    assert phone_client.get("/account").status_code == 302


def test_change_password_keeps_this_device_and_ends_others(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    here, other = app.test_client(), app.test_client()
    Auth(here).login(phone)
    Auth(other).login(phone)
    response = Auth(here).post(
        "/account/password",
        {"current_password": "mat-khau-123", "password": "mat-khau-moi-1", "password_confirm": "mat-khau-moi-1"},
    )
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert Auth(app.test_client()).login(phone, "mat-khau-moi-1").status_code == 302


def test_wrong_current_password_is_refused(app, factory):
    client, auth, uid, phone = login_as(app, factory)
    response = auth.post(
        "/account/password", {"current_password": "sai", "password": "mat-khau-moi-1", "password_confirm": "mat-khau-moi-1"}
    )
    assert "Mật khẩu hiện tại không đúng." in response.text


def test_reset_code_flow_issued_by_commune_official(app, factory):
    citizen_phone = next_phone()
    citizen_id = factory.user(phone=citizen_phone, name="Vũ Thị Lan")
    official, official_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    page = official.get(f"/people/{citizen_id}")
    assert "Vũ Thị Lan" in page.text
    shown = official_auth.post(f"/people/{citizen_id}/reset-code", page=f"/people/{citizen_id}")
    import re

    code = re.search(r'class="code"[^>]*>(\d{4}) (\d{4})<', shown.text)
    assert code, shown.text
    code = code.group(1) + code.group(2)

    citizen = Auth(app.test_client())
    bad = citizen.post(
        "/reset", {"phone": citizen_phone, "code": "00000000", "password": "mat-khau-moi-2", "password_confirm": "mat-khau-moi-2"}
    )
    assert "Mã đặt lại không đúng hoặc đã hết hạn" in bad.text
    ok = citizen.post(
        "/reset", {"phone": citizen_phone, "code": code, "password": "mat-khau-moi-2", "password_confirm": "mat-khau-moi-2"}
    )
    assert ok.status_code == 302
    assert Auth(app.test_client()).login(citizen_phone, "mat-khau-moi-2").status_code == 302
    reused = citizen.post(
        "/reset", {"phone": citizen_phone, "code": code, "password": "mat-khau-moi-3", "password_confirm": "mat-khau-moi-3"}
    )
    assert "Mã đặt lại không đúng hoặc đã hết hạn" in reused.text


def test_reset_code_locks_after_five_wrong_tries(app, factory):
    from lms.accounts import services
    from lms.accounts.models import User

    phone = next_phone()
    uid = factory.user(phone=phone)
    admin_id = factory.user(role="admin")
    with app.test_request_context():
        code = services.issue_reset_code(db.session.get(User, admin_id), uid)
        db.session.commit()
    citizen = Auth(app.test_client())
    for _ in range(5):
        citizen.post(
            "/reset", {"phone": phone, "code": "11111111", "password": "mat-khau-moi-4", "password_confirm": "mat-khau-moi-4"}
        )
    response = citizen.post(
        "/reset", {"phone": phone, "code": code, "password": "mat-khau-moi-4", "password_confirm": "mat-khau-moi-4"}
    )
    assert "Mã đặt lại không đúng hoặc đã hết hạn" in response.text


def test_official_of_another_commune_gets_404_for_reset(app, factory):
    citizen_id = factory.user()
    other, other_auth, _, _ = login_as(app, factory, role="commune_official", role_commune=OTHER_COMMUNE, commune=OTHER_COMMUNE)
    page = other.get("/")
    response = other.post(f"/people/{citizen_id}/reset-code", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 404


def test_export_own_data_as_json(app, factory):
    client, auth, uid, phone = login_as(app, factory, name="Đỗ Minh Khôi")
    response = client.get("/account/export")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["full_name"] == "Đỗ Minh Khôi"
    assert data["account"]["phone"] == "+84" + phone[1:]
    assert data["account"]["home_commune"]["code"] == DEMO_COMMUNE
    assert data["account"]["consent"]["given_at"]


def test_delete_account_erases_personal_data_and_logs_out(app, factory):
    client, auth, uid, phone = login_as(app, factory, name="Hồ Văn Tú")
    wrong = auth.post("/account/delete", {"password": "sai", "confirm": "y"})
    assert "Mật khẩu không đúng." in wrong.text
    response = auth.post("/account/delete", {"password": "mat-khau-123", "confirm": "y"})
    assert response.status_code == 302
    user = app.extensions and None
    with app.app_context():
        user = db.session.get(User, uid)
        assert user.full_name != "Hồ Văn Tú"
        assert user.phone != "+84" + phone[1:]
        assert user.deleted_at is not None
    assert client.get("/account").status_code == 302
    assert Auth(app.test_client()).login(phone).status_code == 422


def test_profile_update_keeps_typed_values_on_error(app, factory):
    client, auth, uid, phone = login_as(app, factory)
    response = auth.post(
        "/account", {"full_name": "Tên 123", "birth_year": "1985", "province": "01", "commune": DEMO_COMMUNE, "email": ""}
    )
    assert "chỉ gồm chữ cái" in response.text
    assert 'value="Tên 123"' in response.text
    ok = auth.post(
        "/account",
        {
            "full_name": "Ngô Bảo Châu",
            "birth_year": "1985",
            "province": "79",
            "commune": OTHER_COMMUNE,
            "email": "chau@example.com",
        },
    )
    assert ok.status_code == 302
    user = factory.get_user(uid)
    assert (user.full_name, user.home_commune_code, user.email) == ("Ngô Bảo Châu", OTHER_COMMUNE, "chau@example.com")


def test_logout_ends_the_session_even_for_a_replayed_cookie(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    client = app.test_client()
    Auth(client).login(phone)
    assert client.get("/account").status_code == 200
    stolen = client.get_cookie("session").value
    Auth(client).logout()
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302


def test_logout_ends_the_remember_cookie_too(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    client = app.test_client()
    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_from(page.text), "phone": phone, "password": "mat-khau-123", "remember": "y"})
    remember = client.get_cookie("remember_token").value
    only_remember = app.test_client()
    only_remember.set_cookie("remember_token", remember)
    assert only_remember.get("/account").status_code == 200  # the cookie works while signed in
    Auth(client).logout()
    replay = app.test_client()
    replay.set_cookie("remember_token", remember)
    assert replay.get("/account").status_code == 302


def test_logging_out_one_device_keeps_the_others(app, factory):
    phone = next_phone()
    factory.user(phone=phone)
    laptop, mobile = app.test_client(), app.test_client()
    Auth(laptop).login(phone)
    Auth(mobile).login(phone)
    Auth(laptop).logout()
    assert mobile.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302


def test_account_pages_are_never_cached(app, factory):
    client, _, uid, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    for url in ("/account", "/account/export", "/people", f"/people/{uid}"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_absurd_birth_years_get_the_field_message(app, factory, client):
    for typed in ("1" * 309, "9" * 5000, "١٩٧٥", "1975.0", "-1975"):
        page = client.get("/register")
        response = client.post(
            "/register",
            data={
                "csrf_token": csrf_from(page.text),
                "phone": next_phone(),
                "password": "mat-khau-123",
                "password_confirm": "mat-khau-123",
                "full_name": "Nguyễn An",
                "birth_year": typed,
                "commune": DEMO_COMMUNE,
                "consent": "y",
            },
        )
        assert response.status_code == 422, typed
        assert "Năm sinh phải là số, ví dụ 1975." in response.text
    _, auth, _, _ = login_as(app, factory)
    response = auth.post("/account", {"full_name": "Nguyễn An", "birth_year": "9" * 309, "commune": DEMO_COMMUNE})
    assert "Năm sinh phải là số, ví dụ 1975." in response.text


def test_next_with_a_line_break_goes_home(factory, client):
    phone = next_phone()
    factory.user(phone=phone)
    page = client.get("/login")
    response = client.post(
        "/login?next=/account%0d%0aSet-Cookie:%20x=1",
        data={"csrf_token": csrf_from(page.text), "phone": phone, "password": "mat-khau-123"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def _register(client, **fields):
    page = client.get("/register")
    data = {
        "csrf_token": csrf_from(page.text),
        "phone": next_phone(),
        "password": "mat-khau-123",
        "password_confirm": "mat-khau-123",
        "full_name": "Nguyễn An",
        "commune": DEMO_COMMUNE,
        "consent": "y",
    }
    data.update(fields)
    return client.post("/register", data=data)


def test_one_rule_and_one_message_for_name_length(client):
    for length in (81, 150, 500):
        response = _register(client, full_name="A" * length)
        assert response.status_code == 422
        assert "Họ và tên dài tối đa 80 ký tự." in response.text, length
        assert "tối đa 200" not in response.text


def test_one_rule_and_one_message_for_birth_year(client):
    from lms.core.models import utcnow

    year = utcnow().year
    expected = f"Năm sinh phải trong khoảng {year - 110}–{year - 6}."
    for typed in ("1850", "1901", str(year - 3), "2100"):
        response = _register(client, birth_year=typed)
        assert response.status_code == 422, typed
        assert expected in response.text, typed
        assert "Năm sinh không hợp lệ." not in response.text


def test_login_goes_on_when_the_back_off_storage_does_not_answer(app, factory, monkeypatch):
    from lms.accounts import throttle
    from lms.core.extensions import limiter

    phone = next_phone()
    factory.user(phone=phone)
    down = limiter.storage.base_exceptions
    down = down if isinstance(down, type) else down[0]

    def unreachable(storage, phone):
        raise down("storage down")

    for step in ("_check", "_record_failure", "_clear"):
        monkeypatch.setattr(throttle, step, unreachable)
    assert _login_from(app, "203.0.113.99", phone, "sai-mat-khau").status_code == 422
    assert _login_from(app, "203.0.113.99", phone, "mat-khau-123").status_code == 302
