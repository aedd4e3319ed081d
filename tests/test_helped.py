"""'Người tôi đã giúp': the member's registered citizens with their progress per course and the
households reached; the leader's view of the team's members and the village's households."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.core.extensions import db
from lms.learning.models import CourseCompletion
from lms.places.models import Household
from tests.cert_helpers import complete_course
from tests.factories import DEMO_COMMUNE, next_phone
from tests.test_assisted import door_fixture, form_defaults, make_household_fixture, register, signed_in  # noqa: F401


def user_id(app, name):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.full_name == name))


def start(app, uid, slug):
    """Enrol and read nothing yet (not_started), then with read=True, record activity (in_progress)."""
    from lms.learning.services import enroll, record_activity

    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, uid)
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enroll(user, course)
        db.session.commit()
        return user, course, record_activity


def in_progress(app, uid, slug):
    from lms.learning.services import record_activity

    with app.test_request_context("/", method="POST"):
        user = db.session.get(User, uid)
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        record_activity(user, course)
        db.session.commit()


def completed_without_certificate(app, uid, slug):
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
        db.session.add(CourseCompletion(user_id=uid, course_id=course_id))
        db.session.commit()


def row_of(page: str, name: str) -> str:
    match = re.search(rf"<tr><td><strong>{re.escape(name)}</strong></td>(.*?)</tr>", page, re.S)
    assert match, f"{name} is not listed"
    return html.unescape(match.group(1))


def test_the_member_sees_whom_they_helped_with_progress_and_households_reached(app, door, cert_key):
    member = signed_in(app, door.phones.member)
    assert register(member, door, full_name="Nguyễn Thị Hoa", household_new="Số 1, ngõ 2").status_code == 200
    assert register(member, door, full_name="Trần Văn Bình", household_new="Số 9, ngõ 2").status_code == 200
    with app.app_context():
        first_house = db.session.scalar(select(Household.id).where(Household.label == "Số 1, ngõ 2"))
    assert register(member, door, full_name="Lê Thị Cúc", household=str(first_house), household_new="").status_code == 200
    assert register(member, door, full_name="Phan Văn Dũng", household_new="Số 20, xóm Chợ").status_code == 200
    hoa, binh, cuc = (user_id(app, n) for n in ("Nguyễn Thị Hoa", "Trần Văn Bình", "Lê Thị Cúc"))
    complete_course(app, hoa, "nguoi-dan")  # certified: household "Số 1, ngõ 2" reached
    start(app, binh, "nguoi-dan")  # enrolled, nothing read
    start(app, cuc, "nguoi-dan")
    in_progress(app, cuc, "nguoi-dan")
    completed_without_certificate(app, cuc, "thanh-vien")

    page = member.get("/helped")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = html.unescape(page.text)
    assert "<strong>4</strong> người đã được bạn đăng ký giúp" in text
    assert 'phiên bản người dân: <strong class="ok">Có chứng nhận</strong>' in row_of(page.text, "Nguyễn Thị Hoa")
    assert 'phiên bản người dân: <strong class="muted">Chưa bắt đầu</strong>' in row_of(page.text, "Trần Văn Bình")
    cuc_row = row_of(page.text, "Lê Thị Cúc")
    assert "phiên bản người dân: <strong>Đang học</strong>" in cuc_row
    assert 'phiên bản thành viên: <strong class="ok">Đã hoàn thành</strong>' in cuc_row
    assert "Số 1, ngõ 2" in cuc_row
    assert "Chưa ghi danh khóa nào" in row_of(page.text, "Phan Văn Dũng")
    assert re.search(r"HS-\d{3}-\d{3}-\d{3}", row_of(page.text, "Phan Văn Dũng"))
    # Three households reached at the door, one of them with someone who completed the citizens' course.
    assert "<strong>1</strong> / 3 hộ đã có người hoàn thành khóa Người dân" in text
    assert '<td>Số 1, ngõ 2</td><td>2</td><td><strong class="ok">Đã có người hoàn thành</strong></td>' in text
    assert '<td>Số 9, ngõ 2</td><td>1</td><td><span class="muted">Chưa</span></td>' in text
    # No link to a person's page: seeing whom one helped gives no way into their account.
    assert "/people/" not in page.text


def test_another_member_sees_none_of_them(app, door, factory):
    member = signed_in(app, door.phones.member)
    register(member, door)
    other_phone = next_phone()
    other = factory.user(phone=other_phone, name="Đinh Văn Khác")
    factory.team(door.village, name="Tổ thứ hai", members=(other,))
    page = signed_in(app, other_phone).get("/helped")
    assert page.status_code == 200
    assert "Nguyễn Thị Hoa" not in page.text and "Số 12, ngõ 3" not in page.text
    assert "<strong>0</strong> người đã được bạn đăng ký giúp" in html.unescape(page.text)


def test_deleted_accounts_drop_out_of_the_list(app, door):
    member = signed_in(app, door.phones.member)
    register(member, door)
    with app.app_context():
        person = db.session.get(User, user_id(app, "Nguyễn Thị Hoa"))
        from lms.core.models import utcnow

        person.deleted_at = utcnow()
        person.full_name = "Tài khoản đã xóa"
        db.session.commit()
    page = member.get("/helped").text
    assert "Tài khoản đã xóa" not in page and "<strong>0</strong> người" in page


def test_the_leader_sees_the_team_members_progress_and_the_villages_households(app, door, make_household, cert_key):
    complete_course(app, door.member, "thanh-vien")
    make_household(door.village, "Nhà ông Tư, xóm Bãi", door.member)
    member = signed_in(app, door.phones.member)
    register(member, door, household_new="Số 5, ngõ 1")
    complete_course(app, user_id(app, "Nguyễn Thị Hoa"), "nguoi-dan")
    make_household(door.far_village, "Nhà ở xa", door.far_member)

    leader = signed_in(app, door.phones.leader)
    index = leader.get("/helped").text
    assert f'href="/helped/teams/{door.team}"' in index
    page = leader.get(f"/helped/teams/{door.team}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Thành viên và tiến độ (2)" in text
    assert 'Thành viên cộng đồng: <strong class="ok">Có chứng nhận</strong>' in row_of(page.text, "Lê Văn Tổ Viên") or (
        "Có chứng nhận" in row_of(page.text, "Lê Văn Tổ Viên")
    )
    assert "Tổ trưởng" in row_of(page.text, "Phạm Thị Tổ Trưởng")
    assert "<strong>1</strong> / 2 hộ đã có người hoàn thành khóa Người dân" in text
    assert "Nhà ở xa" not in text
    # The citizen registered at the door is not a member of the team: not in the members' list.
    assert "<td><strong>Nguyễn Thị Hoa</strong>" not in page.text
    # A plain member has no team view.
    assert member.get(f"/helped/teams/{door.team}").status_code == 404
    assert f"/helped/teams/{door.team}" not in member.get("/helped").text


def test_pages_of_helped_people_and_households(app, door, factory):
    from lms.accounts.models import AssistedRegistration
    from lms.core.models import utcnow

    with app.app_context():
        for n in range(30):
            house = Household(village_id=door.village, commune_code=DEMO_COMMUNE, label=f"Nhà {n:02d}", label_key=f"nha {n:02d}")
            house.created_by_id = door.member
            db.session.add(house)
            db.session.flush()
            person = User(
                phone=f"+8493{n:07d}",
                full_name=f"Người Dân {chr(65 + n % 26)}{n:02d}",
                password_hash="!",
                home_commune_code=DEMO_COMMUNE,
                household_id=house.id,
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(
                AssistedRegistration(
                    citizen_id=person.id, member_id=door.member, household_id=house.id, consent_read_aloud_at=utcnow()
                )
            )
        db.session.commit()
    member = signed_in(app, door.phones.member)
    first = member.get("/helped").text
    assert "<strong>30</strong> người" in first and first.count("<tr><td><strong>Người Dân") == 25
    assert "Trang 1/2" in first
    second = member.get("/helped?page=2").text
    assert second.count("<tr><td><strong>Người Dân") == 5
    assert "<strong>0</strong> / 30 hộ" in html.unescape(second)
    assert member.get("/helped?page=abc").status_code == 400
    assert member.get("/helped?hpage=0").status_code == 400
