"""The rough edges of the learner's path (issue 12): home page, course page and certificate,
the quiz (unanswered questions, next module, expired form, attempts table on a phone),
registration without a commune, the commune search, error pages at 360 px, the demo command."""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.core.extensions import db
from lms.core.text import fold
from lms.quizzes.models import AttemptAnswer, QuizAttempt
from tests.cert_helpers import complete_course
from tests.factories import DEMO_COMMUNE, csrf_from, login_as, next_phone
from tests.quiz_helpers import answer_key, form_data

COURSE, MODULE = "nguoi-dan", "b03-tim-kiem"


def test_home_audience_cards_are_links_and_signed_in_home_starts_learning(app, factory, client):
    home = client.get("/").text
    for slug, label in (("nguoi-dan", "Người dân"), ("thanh-vien", "Thành viên Tổ CNSCĐ"), ("can-bo", "Cán bộ xã, tỉnh")):
        assert f'<a href="/courses/{slug}">{label}</a>' in home
        assert client.get(f"/courses/{slug}").status_code == 200
    assert "Bắt đầu học" not in home
    signed_in, *_ = login_as(app, factory)
    assert '<a class="button" href="/dashboard">Bắt đầu học</a>' in signed_in.get("/").text


def test_course_page_links_the_certificate_with_a_preview_placeholder(app, factory, cert_key):
    client, _auth, uid, _phone = login_as(app, factory)
    code = complete_course(app, uid, COURSE)
    page = client.get(f"/courses/{COURSE}").text
    assert "Bạn đã hoàn thành khóa học này." in page
    assert f'href="/certificates/mine/{code}.pdf"' in page
    assert 'href="/certificates/mine"' in page
    placeholder = page[page.index('<div class="cert-preview">') :]
    assert "Đang chuẩn bị bản xem trước giấy chứng nhận" in placeholder.split("</div>")[0]
    assert "<progress" in placeholder.split("</div>")[0]


def _start(client, page_url=f"/courses/{COURSE}/{MODULE}/quiz"):
    landing = client.get(page_url).text
    response = client.post(page_url + "/start", data={"csrf_token": csrf_from(landing)})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_unanswered_questions_are_confirmed_before_grading_without_javascript(app, factory):
    client, *_ = login_as(app, factory)
    attempt_id = _start(client)
    page = client.get(f"/attempts/{attempt_id}").text
    answers = answer_key(app, attempt_id, right=1)
    one = dict(list(answers.items())[:1])
    response = client.post(
        f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", csrf_from(page)), ("submit", "1"), *form_data(one)])
    )
    assert response.status_code == 200
    assert "Bạn còn 9 câu chưa trả lời (2, 3, 4, 5, 6, 7, 8, 9, 10)." in response.text
    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == "open" and attempt.percent is None
        saved = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)).all()
        assert [a.version_id for a in saved] == list(one)  # the one answer is kept meanwhile
    # "Vẫn nộp bài" carries the confirmation and grades.
    assert 'name="confirm_unanswered" value="1"' in response.text
    graded = client.post(
        f"/attempts/{attempt_id}",
        data=MultiDict([("csrf_token", csrf_from(response.text)), ("submit", "1"), ("confirm_unanswered", "1"), *form_data(one)]),
    )
    assert graded.status_code == 302 and graded.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    # Every question answered: no question asked, graded at once.
    second = _start(client)
    full = answer_key(app, second, right=10)
    page = client.get(f"/attempts/{second}").text
    done = client.post(
        f"/attempts/{second}", data=MultiDict([("csrf_token", csrf_from(page)), ("submit", "1"), *form_data(full)])
    )
    assert done.status_code == 302


def test_a_passed_quiz_links_the_next_module(app, factory):
    client, *_ = login_as(app, factory)
    attempt_id = _start(client)
    page = client.get(f"/attempts/{attempt_id}").text
    answers = answer_key(app, attempt_id, right=10)
    client.post(
        f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", csrf_from(page)), ("submit", "1"), *form_data(answers)])
    )
    result = client.get(f"/attempts/{attempt_id}/result").text
    link = re.search(r'<a class="button" href="(/courses/nguoi-dan/[^"]+)">Học phần tiếp theo: ([^<]+)</a>', result)
    assert link, result
    assert link.group(1) == f"/courses/{COURSE}/b04-tai-khoan"
    assert client.get(link.group(1)).status_code == 200


def test_expired_quiz_form_keeps_the_ticks_and_says_why(app, factory):
    client, *_ = login_as(app, factory)
    attempt_id = _start(client)
    answers = answer_key(app, attempt_id, right=3)
    response = client.post(
        f"/attempts/{attempt_id}", data=MultiDict([("csrf_token", "expired-token"), ("save", "1"), *form_data(answers)])
    )
    assert response.status_code == 422
    assert "Phiên làm việc của biểu mẫu đã hết hạn" in response.text
    for version_id, chosen in answers.items():
        for option in chosen:
            assert re.search(rf'name="q{version_id}" value="{option}" checked', response.text), (version_id, option)
    # The autosave's failure is shown on the page (app.js unhides it on a 400 or 403).
    assert 'id="autosave-failed" role="alert" hidden' in response.text
    expired = client.post(f"/api/attempts/{attempt_id}/answers", json={"answers": {}}, headers={"X-CSRFToken": "expired-token"})
    assert expired.status_code == 400
    js = client.get(re.search(r'src="(/static/core/js/app.js[^"]*)"', response.text).group(1))
    script = js.get_data(as_text=True)
    js.close()
    assert 'getElementById("autosave-failed")' in script and "r.status === 400" in script


def test_past_attempts_keep_their_labels_on_a_phone(app, factory):
    client, *_ = login_as(app, factory)
    attempt_id = _start(client)
    page = client.get(f"/attempts/{attempt_id}").text
    client.post(
        f"/attempts/{attempt_id}",
        data=MultiDict([("csrf_token", csrf_from(page)), ("submit", "1"), *form_data(answer_key(app, attempt_id, right=10))]),
    )
    landing = client.get(f"/courses/{COURSE}/{MODULE}/quiz").text
    assert '<td data-label="Lượt">1</td>' in landing
    assert '<td data-label="Kết quả">100% — Đạt</td>' in landing
    css = client.get(re.search(r'href="(/static/core/css/app.css[^"]*)"', landing).group(1))
    text = css.get_data(as_text=True)
    css.close()
    assert 'td[data-label]::before{content:attr(data-label) ": "' in text


def test_registration_requires_the_commune_and_says_why(client):
    page = client.get("/register")
    assert "cán bộ xã nơi bạn sống theo dõi việc học" in page.text
    phone = next_phone()
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(page.text),
            "phone": phone,
            "full_name": "Ngô Thị Lan",
            "password": "mat-khau-123",
            "password_confirm": "mat-khau-123",
            "consent": "y",
            "province": "",
            "commune": "",
        },
    )
    assert response.status_code == 422
    assert "Bạn hãy chọn xã/phường/đặc khu nơi bạn sống." in response.text
    assert 'value="Ngô Thị Lan"' in response.text
    assert "Xin chào" not in client.get("/").text


def test_commune_search_ranks_name_matches_first_and_says_20_plus(client):
    results = client.get("/api/communes?q=xa an").get_json()
    names = [r["name"] for r in results["results"]]
    assert all(fold(n).startswith("xa an ") for n in names[:5]), names
    assert results["more"] is True and len(names) == 20
    few = client.get("/api/communes?q=ba dinh ha noi").get_json()
    assert few["more"] is False and few["results"][0]["code"] == DEMO_COMMUNE
    picker = client.get("/register").text
    assert 'data-text-results-more="{n}+ kết quả: bạn hãy gõ thêm để thu hẹp."' in picker


def test_error_page_request_id_wraps(client):
    response = client.get("/khong-co", headers={"X-Request-ID": "a" * 64})
    assert response.status_code == 404
    assert f'<code class="request-id">{"a" * 64}</code>' in response.text
    css_url = re.search(r'href="(/static/core/css/app.css[^"]*)"', response.text).group(1)
    css = client.get(css_url)
    text = css.get_data(as_text=True)
    css.close()
    assert ".request-id{overflow-wrap:anywhere" in text


def test_demo_names_its_places_and_keeps_passwords(runner):
    first = runner.invoke(args=["lms", "demo"])
    assert first.exit_code == 0, first.output
    assert "Địa giới (đã có sẵn): 34 tỉnh/thành phố, 3.321 xã/phường/đặc khu." in first.output
    passwords = re.findall(r"mật khẩu: (\S+)", first.output)
    assert len(passwords) == 4
    again = runner.invoke(args=["lms", "demo"])
    assert again.exit_code == 0, again.output
    assert again.output.count("mật khẩu: không đổi (như lần chạy trước)") == 4
    assert "--reset-passwords" in again.output
    reset = runner.invoke(args=["lms", "demo", "--reset-passwords"])
    assert "không đổi" not in reset.output
    assert set(re.findall(r"mật khẩu: (\S+)", reset.output)).isdisjoint(passwords)
