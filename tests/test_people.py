"""The people list (/people): accent-free search at any size, pages with counts, Vietnamese
order, the filters of the URL contract, and a person's page with their progress."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.core.text import fold
from lms.learning.models import CourseCompletion, Enrollment
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, login_as

_bulk_phones = itertools.count(1)
# Names that contain neither a word starting "ngoc" nor one starting "anh".
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Thu", "Xuân"]
GIVEN = ["Bình", "Chi", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nga", "Phúc", "Quỳnh", "Tuấn", "Yến"]


def bulk_people(app, count: int, commune: str = DEMO_COMMUNE, names=None, created_days_ago: int = 0) -> list[int]:
    """Insert `count` people straight into the users table (no HTTP, no password hashing)."""
    pool = names or [f"{f} {m} {g}" for f, m, g in itertools.product(FAMILY, MIDDLE, GIVEN)]
    created = utcnow() - timedelta(days=created_days_ago)
    rows = []
    for index in range(count):
        name = pool[index % len(pool)]
        rows.append(
            {
                "phone": f"+8480{next(_bulk_phones):07d}",
                "full_name": name,
                "name_key": fold(name),
                "home_commune_code": commune,
                "password_hash": "-",
                "session_version": 1,
                "is_disabled": False,
                "created_at": created,
                "updated_at": created,
            }
        )
    with app.app_context():
        db.session.execute(insert(User), rows)
        db.session.commit()
        phones = [row["phone"] for row in rows]
        return list(db.session.scalars(select(User.id).where(User.phone.in_(phones)).order_by(User.id)))


def official(app, factory, commune=DEMO_COMMUNE):
    return login_as(app, factory, name="Cán Bộ Xã", role="commune_official", role_commune=commune)


def linked_ids(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'href="/people/(\d+)"', html)]


def linked_names(html: str) -> list[str]:
    return re.findall(r'href="/people/\d+">([^<]+)</a>', html)


def course_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == slug))


# --- search ---------------------------------------------------------------------------


def test_accent_free_search_finds_a_name_among_more_than_2000_people_in_one_commune(app, factory):
    bulk_people(app, 2104)
    target, other_match, near_miss = bulk_people(app, 3, names=["Phạm Thị Ngọc Ánh", "Trần Ngọc Anh", "Lê Thị Ngọc Lan"])
    client, _, me, _ = official(app, factory)
    for query in ("ngoc anh", "NGỌC ÁNH", "Ngọc Ánh"):
        page = client.get("/people", query_string={"q": query})
        assert page.status_code == 200
        assert sorted(linked_ids(page.text)) == sorted([target, other_match]), query
        assert "2 người" in page.text
    for query in ("pham thi ngoc anh", "PHẠM THỊ NGỌC ÁNH", "pham ngoc"):
        page = client.get("/people", query_string={"q": query})
        assert linked_ids(page.text) == [target], query
    page = client.get("/people", query_string={"q": "ngoc"})
    assert sorted(linked_ids(page.text)) == sorted([target, other_match, near_miss])


def test_search_matches_word_beginnings_only_and_phone_digits(app, factory):
    anh, thanh = bulk_people(app, 2, names=["Vũ Thị Ánh", "Lê Văn Thanh"])
    client, _, _, _ = official(app, factory)
    assert linked_ids(client.get("/people?q=anh").text) == [anh]  # "thanh" does not begin with "anh"
    with app.app_context():
        phone = db.session.get(User, thanh).phone  # +8480xxxxxxx
    local = "0" + phone[3:]
    spaced = f"{local[:4]} {local[4:7]} {local[7:]}"
    assert linked_ids(client.get("/people", query_string={"q": spaced}).text) == [thanh]
    assert linked_ids(client.get("/people", query_string={"q": "100%_"}).text) == []


def test_a_query_longer_than_80_characters_is_refused_with_the_field_named(app, factory):
    client, _, _, _ = official(app, factory)
    page = client.get("/people", query_string={"q": "a" * 81})
    assert page.status_code == 400
    assert "Bạn hãy nhập tối đa 80 ký tự." in page.text
    assert 'value="' + "a" * 81 + '"' in page.text  # what was typed is kept


# --- pages and counts -------------------------------------------------------------------


def test_the_list_is_paginated_with_the_total_and_loses_nobody(app, factory):
    ids = set(bulk_people(app, 120))
    client, _, me, _ = official(app, factory)
    ids.add(me)
    first = client.get("/people").text
    assert "121 người" in first
    assert "Trang 1/3" in first
    assert "đang xem 1–50" in first
    seen: list[int] = []
    for number in (1, 2, 3):
        html = client.get("/people", query_string={"page": number}).text
        assert f"Trang {number}/3" in html
        seen += linked_ids(html)
    assert len(seen) == 121
    assert set(seen) == ids
    last = client.get("/people?page=3").text
    assert "đang xem 101–121" in last
    assert 'href="/people?page=2"' in last  # previous page
    assert client.get("/people?page=99").text.count("Trang 3/3") >= 1  # past the end: the last page


def test_counts_use_thousands_separators(app, factory):
    bulk_people(app, 2104)
    client, _, _, _ = official(app, factory)
    html = client.get("/people").text
    assert "2.105 người" in html
    assert "Trang 1/43" in html


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "1.5", "٢", "9" * 40])
def test_a_bad_page_number_is_a_400_with_a_message(app, factory, raw):
    client, _, _, _ = official(app, factory)
    response = client.get("/people", query_string={"page": raw})
    assert response.status_code == 400
    assert "Số trang không hợp lệ" in response.text


# --- order ------------------------------------------------------------------------------


def test_names_are_in_vietnamese_order(app, factory):
    names = ["Đào Văn Tư", "Dương Văn Ba", "Cao Thị Hà", "Cà Thị Mai", "Ánh", "An", "Ăn Văn Ớt", "Ân Văn Lợi", "Bùi Lan"]
    bulk_people(app, len(names), names=names)
    client, _, _, _ = official(app, factory, commune=DEMO_COMMUNE)
    shown = [n for n in linked_names(client.get("/people").text) if n != "Cán Bộ Xã"]
    assert shown == ["An", "Ánh", "Ăn Văn Ớt", "Ân Văn Lợi", "Bùi Lan", "Cà Thị Mai", "Cao Thị Hà", "Dương Văn Ba", "Đào Văn Tư"]


def test_sort_by_commune_groups_people_by_province_then_commune_in_vietnamese_order(app, factory):
    from lms.places.models import Commune

    with app.app_context():
        hanoi = list(db.session.scalars(select(Commune).where(Commune.province_code == "01")))
        by_name = {c.name: c.code for c in hanoi}
    picks = sorted(by_name)[:3]  # three Hà Nội communes, whatever their codes
    for index, name in enumerate(reversed(picks)):
        bulk_people(app, 1, commune=by_name[name], names=[f"Người Số {index}"])
    client, _, _, _ = login_as(app, factory, name="Cán Bộ Tỉnh", role="province_official", province="01")
    html = client.get("/people?sort=commune").text
    rows = re.findall(r'href="/people/\d+">(Người Số \d)</a></td>\s*<td[^>]*>[^<]*</td>\s*<td>([^<]+)</td>', html)
    from lms.core.text import vi_sort_key

    assert [commune for _, commune in rows] == sorted(picks, key=vi_sort_key)


def test_sort_by_activity_puts_the_longest_idle_first(app, factory):
    never, old, recent = bulk_people(app, 3, names=["Chưa Học", "Học Lâu Rồi", "Mới Học"])
    citizens = course_id(app, "nguoi-dan")
    now = utcnow()
    with app.app_context():
        db.session.add(Enrollment(user_id=old, course_id=citizens, last_activity_at=now - timedelta(days=30)))
        db.session.add(Enrollment(user_id=recent, course_id=citizens, last_activity_at=now - timedelta(hours=1)))
        db.session.commit()
    client, _, me, _ = official(app, factory)
    shown = [i for i in linked_ids(client.get("/people?sort=activity").text) if i != me]
    assert shown.index(never) < shown.index(old) < shown.index(recent)
    with_course = linked_ids(client.get("/people?sort=activity&course=nguoi-dan").text)
    assert with_course == [old, recent]


# --- filters ----------------------------------------------------------------------------


@pytest.fixture
def progress_world(app, cert_key):
    """Five people of the demo commune, one per status in the citizens' course, plus one enrolled
    only in the members' course; the certificate of 'revoked' is revoked."""
    names = ["Chưa Bắt Đầu", "Đang Học", "Đã Xong", "Có Giấy", "Bị Thu Hồi", "Khóa Khác"]
    keys = ["not_started", "in_progress", "completed", "certified", "revoked", "other"]
    ids = dict(zip(keys, bulk_people(app, 6, names=names), strict=True))
    citizens, members = course_id(app, "nguoi-dan"), course_id(app, "thanh-vien")
    now = utcnow()
    with app.app_context():
        db.session.add(Enrollment(user_id=ids["not_started"], course_id=citizens))
        for key in ("in_progress", "completed"):
            db.session.add(Enrollment(user_id=ids[key], course_id=citizens, started_at=now))
        db.session.add(CourseCompletion(user_id=ids["completed"], course_id=citizens))
        db.session.add(Enrollment(user_id=ids["other"], course_id=members, started_at=now))
        db.session.commit()
    from tests.cert_helpers import complete_course

    complete_course(app, ids["certified"])
    complete_course(app, ids["revoked"])
    with app.app_context():
        from lms.certificates.models import Certificate

        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == ids["revoked"]))
        certificate.revoked_at = now
        certificate.revoke_reason = "thử"
        db.session.commit()
    return ids


@pytest.mark.parametrize(
    "query, expected",
    [
        ("course=nguoi-dan", {"not_started", "in_progress", "completed", "certified", "revoked"}),
        ("course=nguoi-dan&status=not_started", {"not_started"}),
        ("course=nguoi-dan&status=in_progress", {"in_progress"}),
        ("course=nguoi-dan&status=completed", {"completed", "certified", "revoked"}),
        ("course=nguoi-dan&status=certified", {"certified"}),
        ("course=thanh-vien", {"other"}),
        ("course=thanh-vien&status=in_progress", {"other"}),
        ("status=in_progress", {"in_progress", "other"}),
        ("status=certified", {"certified"}),
    ],
)
def test_status_filters_per_course(app, factory, progress_world, query, expected):
    client, _, _, _ = official(app, factory)
    html = client.get(f"/people?{query}").text
    wanted = {progress_world[key] for key in expected}
    assert set(linked_ids(html)) == wanted
    assert f"{len(wanted)} người" in html


def test_the_list_shows_each_persons_status_per_course(app, factory, progress_world):
    client, _, _, _ = official(app, factory)
    html = client.get("/people?q=dang hoc").text
    assert "Khóa học kỹ năng số — phiên bản người dân: Đang học" in html
    html = client.get("/people?q=co giay").text
    assert "phiên bản người dân: Có chứng nhận" in html
    html = client.get("/people?q=bi thu hoi").text
    assert "phiên bản người dân: Đã hoàn thành" in html  # the revoked certificate no longer counts


def test_inactive_for_14_days(app, factory):
    citizens = course_id(app, "nguoi-dan")
    idle, busy = bulk_people(app, 2, names=["Lâu Không Học", "Vừa Học"], created_days_ago=40)
    (old_account,) = bulk_people(app, 1, names=["Đăng Ký Lâu"], created_days_ago=40)
    (new_account,) = bulk_people(app, 1, names=["Mới Đăng Ký"])
    now = utcnow()
    with app.app_context():
        db.session.add(Enrollment(user_id=idle, course_id=citizens, started_at=now, last_activity_at=now - timedelta(days=20)))
        db.session.add(Enrollment(user_id=busy, course_id=citizens, started_at=now, last_activity_at=now - timedelta(days=2)))
        db.session.commit()
    client, _, _, _ = official(app, factory)
    assert set(linked_ids(client.get("/people?inactive=14").text)) == {idle, old_account}
    assert set(linked_ids(client.get("/people?inactive=14&course=nguoi-dan").text)) == {idle}
    assert set(linked_ids(client.get("/people?inactive=14&course=nguoi-dan&status=in_progress").text)) == {idle}
    assert new_account not in linked_ids(client.get("/people?inactive=14").text)


def test_village_and_team_filters(app, factory):
    from lms.places.models import Household

    in_village, elsewhere, member = bulk_people(app, 3, names=["Hộ Thôn Đông", "Hộ Nơi Khác", "Thành Viên Tổ"])
    village = factory.village()
    other_village = factory.village(name="Thôn Tây")
    team = factory.team(village, members=(member,))
    with app.app_context():
        home = Household(village_id=village, commune_code=DEMO_COMMUNE, label="Số 1", label_key="so 1")
        away = Household(village_id=other_village, commune_code=DEMO_COMMUNE, label="Số 2", label_key="so 2")
        db.session.add_all([home, away])
        db.session.flush()
        db.session.get(User, in_village).household_id = home.id
        db.session.get(User, elsewhere).household_id = away.id
        db.session.commit()
    client, _, _, _ = official(app, factory)
    html = client.get(f"/people?village={village}").text
    assert linked_ids(html) == [in_village]
    assert "Thôn Đông" in html  # the place being filtered is named
    assert linked_ids(client.get(f"/people?team={team}").text) == [member]
    assert linked_ids(client.get(f"/people?commune={DEMO_COMMUNE}&q=ho").text) == [elsewhere, in_village]  # Nơi before Thôn


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("status=done", 400, "Bạn hãy chọn một tình trạng trong danh sách."),
        ("sort=phone", 400, "Bạn hãy chọn một cách sắp xếp trong danh sách."),
        ("inactive=7", 400, "Bạn hãy chọn một mục trong danh sách hoạt động."),
        ("course=khong-co", 404, "Không tìm thấy khóa học này."),
        (f"commune={OTHER_COMMUNE}", 404, "Không tìm thấy xã/phường này"),
        ("commune=" + "0" * 300, 404, "Không tìm thấy xã/phường này"),
        (f"village={2**31}", 404, "Không tìm thấy nơi này"),
        ("village=١", 404, "Không tìm thấy nơi này"),
        ("team=abc", 404, "Không tìm thấy nơi này"),
        ("team=999999", 404, "Không tìm thấy tổ này"),
    ],
)
def test_bad_or_foreign_filters_are_4xx_with_a_message(app, factory, query, status, message):
    client, _, _, _ = official(app, factory)
    response = client.get(f"/people?{query}")
    assert response.status_code == status
    assert message in response.text
    export = client.get(f"/people/export?format=csv&{query}")
    assert export.status_code == status


def test_a_province_official_chooses_among_the_provinces_communes(app, factory):
    client, _, _, _ = login_as(app, factory, role="province_official", province="01")
    html = client.get("/people").text
    assert '<select id="commune" name="commune"' in html
    assert f'<option value="{DEMO_COMMUNE}">Phường Ba Đình (Thành phố Hà Nội)</option>' in html
    assert OTHER_COMMUNE not in html


# --- the person page --------------------------------------------------------------------


def _learn(app, user_id: int, lessons: int, right_answers: list[int]):
    """Read the first `lessons` lessons of the citizens' course's first module, then submit one
    quiz attempt per entry of right_answers with that many right answers."""
    from lms.catalog.services import course_modules, get_course, lessons_for
    from lms.learning.services import mark_lesson_read
    from lms.quizzes.services import start_attempt, submit_attempt
    from tests.quiz_helpers import answer_key

    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, user_id)
        course = get_course("nguoi-dan")
        module = course_modules(course)[0].module
        for lesson in lessons_for(course, module)[:lessons]:
            mark_lesson_read(user, course, lesson)
        db.session.commit()
        total_lessons = len(lessons_for(course, module))
        module_title = module.title
        db.session.remove()
    for right in right_answers:
        with app.test_request_context("/", method="POST"):
            user = db.session.get(User, user_id)
            course = get_course("nguoi-dan")
            attempt = start_attempt(user, course, course_modules(course)[0].module)
            db.session.commit()
            attempt_id = attempt.id
            db.session.remove()
        answers = answer_key(app, attempt_id, right)
        with app.test_request_context("/", method="POST"):
            from lms.quizzes.models import QuizAttempt

            submit_attempt(db.session.get(QuizAttempt, attempt_id), answers)
            db.session.commit()
            db.session.remove()
    return module_title, total_lessons


def test_person_page_shows_progress_per_module_attempts_and_certificate(app, factory, cert_key):
    from tests.cert_helpers import complete_course

    person = factory.user(name="Phạm Thị Ngọc Ánh")
    module_title, total = _learn(app, person, lessons=99, right_answers=[0, 10])
    code = complete_course(app, person, slug="thanh-vien")
    client, _, _, _ = official(app, factory)
    html = client.get(f"/people/{person}").text
    assert "Tiến độ học" in html
    assert "Khóa học kỹ năng số — phiên bản người dân" in html
    row = re.search(rf"<tr><td>{re.escape(module_title)}.*?</tr>", html, flags=re.S).group(0)
    assert f"{total}/{total} bài" in row
    assert "100%" in row and "(đạt)" in row
    assert "Đã hoàn thành ngày" in row
    attempts = re.findall(r'data-label="Lần">(\d+)</td>\s*<td[^>]*>(\d+)%</td>\s*<td[^>]*>(Đạt|Chưa đạt)</td>', html)
    assert attempts == [("2", "100", "Đạt"), ("1", "0", "Chưa đạt")]  # newest first
    assert f'href="/certificates/manage/c/{code}"' in html
    assert "Có chứng nhận" in html


def test_person_page_of_a_learner_who_read_part_of_a_module(app, factory):
    person = factory.user(name="Mới Bắt Đầu")
    module_title, total = _learn(app, person, lessons=1, right_answers=[])
    client, _, _, _ = official(app, factory)
    html = client.get(f"/people/{person}").text
    row = re.search(rf"<tr><td>{re.escape(module_title)}.*?</tr>", html, flags=re.S).group(0)
    assert f"1/{total} bài" in row
    assert 'data-label="Hoàn thành">Chưa</td>' in row
    assert "Chưa nộp bài kiểm tra nào." in html
    assert "Đang học" in html


def test_a_leader_gets_the_public_verify_link_for_a_members_certificate(app, factory, cert_key):
    from tests.cert_helpers import complete_course
    from tests.factories import Auth, next_phone

    member = factory.user(name="Thành Viên Giỏi")
    phone = next_phone()
    leader = factory.user(phone=phone, name="Tổ Trưởng")
    factory.team(factory.village(), members=(member, leader), leader=leader)
    code = complete_course(app, member)
    client = app.test_client()
    assert Auth(client).login(phone).status_code == 302
    html = client.get(f"/people/{member}").text
    assert f'href="/verify/{code}"' in html
    assert "/certificates/manage/c/" not in html


def test_person_page_without_any_course(app, factory):
    person = factory.user(name="Chưa Ghi Danh")
    client, _, _, _ = official(app, factory)
    html = client.get(f"/people/{person}").text
    assert "Người này chưa ghi danh khóa học nào." in html
    assert "Chưa học bài nào" in html


def test_menu_entry_moved_to_the_people_part(app, factory):
    client, _, _, _ = official(app, factory)
    assert '<a href="/people"' in client.get("/").text or 'href="/people"' in client.get("/").text
    learner = login_as(app, factory)[0]
    assert 'href="/people"' not in learner.get("/").text


def test_people_pages_are_never_cached(app, factory):
    person = factory.user(name="Riêng Tư")
    client, _, _, _ = official(app, factory)
    for url in ("/people", f"/people/{person}", "/people/export?format=csv", "/people/export?format=xlsx"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
