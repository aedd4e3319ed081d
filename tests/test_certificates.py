"""Certificates: codes, issuing on completion, rendering, QR and signatures, verification pages,
Open Badges JSON, the learner's downloads and the render-once lock."""

import json
import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.catalog.models import Course, Lesson
from lms.certificates import codes
from lms.certificates.codes import MalformedCode
from lms.certificates.models import Certificate
from lms.core.extensions import db
from lms.learning.models import CourseCompletion
from tests.cert_helpers import (  # noqa: F401  (cert_key is a fixture)
    cert_key,
    complete_course,
    decode_qr,
    get_certificate,
    pdf_font_names,
    pdf_pages,
    pdf_text,
    render_pdf,
)
from tests.factories import csrf_from, login_as
from tests.quiz_helpers import answer_key, form_data

pytestmark = pytest.mark.usefixtures("cert_key")


# --- codes -------------------------------------------------------------------------------------


def test_codes_are_long_random_typable_and_self_checking():
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    for code in list(drawn)[:200]:
        assert len(code) == 12 and set(code) <= set(codes.ALPHABET)
        assert codes.normalize_code(codes.format_code(code).lower()) == code
    assert not set("01OIL") & set(codes.ALPHABET)
    assert len(codes.ALPHABET) ** codes.RANDOM_LENGTH > 2**54  # comfortably above the 40 bits asked for


def test_code_typos_are_caught_before_any_lookup():
    code = codes.new_code()
    typed = codes.format_code(code)
    assert codes.normalize_code(f"  {typed.lower()} ") == code
    assert codes.normalize_code(code[:4] + " " + code[4:]) == code
    assert codes.normalize_code(f"https://hocso.example.gov.vn/verify/{typed}#abc.def") == code
    wrong = code[:5] + next(ch for ch in codes.ALPHABET if ch != code[5]) + code[6:]
    with pytest.raises(MalformedCode, match="gõ sai"):
        codes.normalize_code(wrong)
    swapped = code[:2] + code[3] + code[2] + code[4:]
    if swapped != code:
        with pytest.raises(MalformedCode):
            codes.normalize_code(swapped)
    with pytest.raises(MalformedCode, match="12 ký tự"):
        codes.normalize_code(code[:8])
    with pytest.raises(MalformedCode, match="số 0"):
        codes.normalize_code("7KQ2-M9XD-3FT0")
    with pytest.raises(MalformedCode, match="chữ cái in hoa"):
        codes.normalize_code("7KQ2-M9XD-3F?A")
    with pytest.raises(MalformedCode, match="nhập mã"):
        codes.normalize_code("   ")


# --- issuing ---------------------------------------------------------------------------------------


def test_completion_issues_one_certificate_with_the_profile_name(app, factory):
    uid = factory.user(name="Trần Thị Ngọc Ánh")
    code = complete_course(app, uid, "can-bo")
    assert code
    certificate = get_certificate(app, code)
    assert certificate.printed_name == "Trần Thị Ngọc Ánh"
    assert certificate.course_title == "Khóa học dành cho cán bộ chính quyền cấp xã/tỉnh"
    assert certificate.certificate_title.startswith("Chứng nhận hoàn thành khóa học")
    assert certificate.issuer_name == app.config["ISSUER_NAME"]
    assert certificate.revision == 1 and certificate.revoked_at is None
    with app.test_request_context("/", method="POST"):
        from lms.accounts.models import User
        from lms.certificates.services import issue_certificate

        user = db.session.get(User, uid)
        course = db.session.scalar(select(Course).where(Course.slug == "can-bo"))
        assert issue_certificate(user, course).code == certificate.code  # asking again returns the same one
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.user_id == uid)) == 1
        completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid))
        assert completion.completed_at == certificate.issued_at


def _complete_in_thread(app, barrier, uid, outcomes):
    from lms.accounts.models import User
    from lms.certificates.services import issue_certificate
    from lms.core.db import run_with_retry

    barrier.wait()
    with app.test_request_context("/", method="POST"):
        try:
            user = db.session.get(User, uid)
            course = db.session.scalar(select(Course).where(Course.slug == "can-bo"))
            certificate = run_with_retry(db.session, lambda: issue_certificate(user, course))
            outcomes.append(certificate.code)
        except Exception as error:  # reported to the test, which fails on any
            outcomes.append(f"error: {type(error).__name__}: {error}")
        finally:
            db.session.remove()


def test_concurrent_completions_issue_exactly_one_certificate(app, factory):
    from lms.learning.models import ModuleCompletion
    from lms.learning.services import maybe_complete_course

    uid = factory.user()
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "can-bo"))
        from lms.catalog.services import course_modules

        for row in course_modules(course):
            db.session.add(ModuleCompletion(user_id=uid, course_id=course.id, module_id=row.module_id, best_percent=90))
        db.session.commit()

    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def complete():
        from lms.accounts.models import User
        from lms.core.db import run_with_retry

        barrier.wait()
        with app.test_request_context("/", method="POST"):
            try:
                user = db.session.get(User, uid)
                course = db.session.scalar(select(Course).where(Course.slug == "can-bo"))
                run_with_retry(db.session, lambda: maybe_complete_course(user, course))
                outcomes.append("ok")
            except Exception as error:
                outcomes.append(f"error: {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o for o in outcomes if o.startswith("error")] == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion).where(CourseCompletion.user_id == uid)) == 1
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.user_id == uid)) == 1

    # Direct concurrent issuing (a retried job, two listeners) converges on the same row too.
    outcomes = []
    barrier = threading.Barrier(6)
    threads = [threading.Thread(target=_complete_in_thread, args=(app, barrier, uid, outcomes)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(outcomes)) == 1 and not outcomes[0].startswith("error"), outcomes


def test_real_path_lessons_read_and_quizzes_passed_give_a_certificate(app, factory):
    client, _, uid, _ = login_as(app, factory, name="Lê Thị Hồng Nhung")
    slug = "can-bo"
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        modules = [(row.module.slug, row.module_id) for row in course.course_modules]
        lessons = {
            module_slug: db.session.scalars(
                select(Lesson.slug).where(Lesson.module_id == module_id, Lesson.is_retired.is_(False),
                                          Lesson.audience.in_(("all", course.audience))).order_by(Lesson.position)
            ).all()
            for module_slug, module_id in modules
        }  # fmt: skip
    for module_slug, _ in modules:
        for lesson_slug in lessons[module_slug]:
            url = f"/courses/{slug}/{module_slug}/{lesson_slug}"
            assert client.post(f"{url}/done", data={"csrf_token": csrf_from(client.get(url).text)}).status_code == 302
        quiz = f"/courses/{slug}/{module_slug}/quiz"
        started = client.post(f"{quiz}/start", data={"csrf_token": csrf_from(client.get(quiz).text)})
        attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
        page = client.get(f"/attempts/{attempt_id}")
        data = [("csrf_token", csrf_from(page.text)), ("submit", "1"), *form_data(answer_key(app, attempt_id, right=10))]
        assert client.post(f"/attempts/{attempt_id}", data=MultiDict(data)).status_code == 302
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == uid))
        assert certificate is not None and certificate.printed_name == "Lê Thị Hồng Nhung"
        code = certificate.display_code
    dashboard = client.get("/dashboard").text
    assert f"/certificates/mine/{code}.pdf" in dashboard and f"/certificates/mine/{code}.png" in dashboard
    assert "Giấy chứng nhận của bạn" in dashboard
    preview = client.get(f"/certificates/mine/{code}.png?r=1")
    assert preview.status_code == 200 and preview.data[:8] == b"\x89PNG\r\n\x1a\n"
    download = client.get(f"/certificates/mine/{code}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert f"giay-chung-nhan-{code}.pdf" in download.headers["Content-Disposition"]
    assert "Lê Thị Hồng Nhung" in pdf_text(download.data)


# --- rendering -------------------------------------------------------------------------------------


def test_pdf_is_one_a4_landscape_page_with_vietnamese_text_and_embedded_font(app, factory):
    uid = factory.user(name="Nguyễn Thị Ánh Tuyết")
    code = complete_course(app, uid, "nguoi-dan")
    data = render_pdf(app, code)
    import io

    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(data)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert pdf_pages(data) == 1
    assert abs(width - 841.89) < 1 and abs(height - 595.28) < 1  # A4 landscape, in points
    text = pdf_text(data)
    for expected in (
        "Nguyễn Thị Ánh Tuyết",
        "Khóa học kỹ năng số — phiên bản người dân",
        "Chứng nhận hoàn thành khóa học kỹ năng số cơ bản",
        "GIẤY CHỨNG NHẬN",
        "đã học hết các bài học và vượt qua các bài kiểm tra của",
        code,
    ):
        assert expected in text, expected
    fonts = pdf_font_names(data)
    assert fonts and all(re.match(r"/[A-Z]{6}\+Be-Vietnam-Pro", name) for name in fonts), fonts


def test_pdf_is_made_once_and_kept(app, factory):
    from lms.certificates import storage

    uid = factory.user()
    code = complete_course(app, uid)
    before = storage.render_count
    first = render_pdf(app, code)
    second = render_pdf(app, code)
    assert first == second and storage.render_count == before + 1


def test_qr_decodes_to_the_verify_url_with_a_payload_whose_signature_checks(app, factory):
    from lms.certificates.keyring import trusted_keys
    from lms.certificates.signing import BadSignature, verify_payload

    uid = factory.user(name="Phạm Văn Đức")
    code = complete_course(app, uid)
    [text] = decode_qr(render_pdf(app, code))
    assert text.startswith(f"https://hocso.example.gov.vn/verify/{code}#")
    with app.app_context():
        keys = trusted_keys()
        fields = verify_payload(text, keys)
        assert fields["c"] == code.replace("-", "") and fields["n"] == "Phạm Văn Đức"
        assert fields["co"] == "Khóa học kỹ năng số — phiên bản người dân" and fields["r"] == 1
        payload, signature = text.split("#")[1].split(".")
        from lms.certificates.signing import b64url, b64url_decode

        forged = json.loads(b64url_decode(payload))
        forged["n"] = "Phạm Văn Đức Anh"
        tampered = b64url(json.dumps(forged, ensure_ascii=False, separators=(",", ":")).encode()) + "." + signature
        with pytest.raises(BadSignature, match="KHÔNG khớp"):
            verify_payload(tampered, keys)


# --- verification pages ----------------------------------------------------------------------------


def test_verify_page_shows_a_valid_certificate(app, client, factory):
    uid = factory.user(name="Hoàng Thị Lan")
    code = complete_course(app, uid)
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200
    for expected in ("HỢP LỆ", "Hoàng Thị Lan", "Khóa học kỹ năng số — phiên bản người dân", code, app.config["ISSUER_NAME"]):
        assert expected in page.text, expected
    assert "verify.js" in page.text and "<script>" not in page.text and "style=" not in page.text
    # Lower case and without hyphens: redirected to the canonical address.
    assert client.get(f"/verify/{code.replace('-', '').lower()}").headers["Location"].endswith(f"/verify/{code}")


def test_verify_form_explains_bad_input(app, client, factory):
    uid = factory.user()
    code = complete_course(app, uid)
    response = client.get("/verify", query_string={"code": code.lower().replace("-", " ")})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{code}")
    page = client.get("/verify", query_string={"code": "7KQ2-M9XD-3FTO"})
    assert page.status_code == 400 and "không dùng số 0, số 1, chữ O" in page.text
    page = client.get("/verify", query_string={"code": "7KQ2-M9XD"})
    assert page.status_code == 400 and "có đúng 12 ký tự; mã vừa nhập có 8 ký tự" in page.text
    typo = code[:-2] + next(ch for ch in codes.ALPHABET if ch != code[-2]) + code[-1]
    page = client.get(f"/verify/{typo}")
    assert page.status_code == 400 and "ký tự bị gõ sai" in page.text
    unknown = codes.format_code(codes.new_code())
    page = client.get(f"/verify/{unknown}")
    assert page.status_code == 404 and "Không có giấy chứng nhận nào mang mã này" in page.text
    assert client.get("/verify").status_code == 200


def test_verify_is_rate_limited_so_codes_cannot_be_enumerated(app, client):
    app.config["CERTIFICATE_VERIFY_RATE_LIMIT"] = "5 per day"  # a fixed window: a minute could roll over mid-test
    try:
        statuses = [client.get(f"/verify/{codes.format_code(codes.new_code())}").status_code for _ in range(5)]
        assert statuses == [404] * 5
        assert client.get(f"/verify/{codes.format_code(codes.new_code())}").status_code == 429
        assert client.get(f"/certificates/{codes.format_code(codes.new_code())}.json").status_code == 429
        assert client.get("/verify", query_string={"code": "ABCD"}).status_code == 429
        assert client.get("/verify").status_code == 200  # the empty form is not counted
    finally:
        app.config.pop("CERTIFICATE_VERIFY_RATE_LIMIT")


@pytest.mark.parametrize(("mode", "shown", "hidden"), [
    ("initials", "Nguyễn T. Á. T.", "Ánh Tuyết"),
    ("hidden", "được ẩn theo quy định", "Nguyễn"),
])  # fmt: skip
def test_name_masking_is_configurable(app, client, factory, mode, shown, hidden):
    uid = factory.user(name="Nguyễn Thị Ánh Tuyết")
    app.config["CERTIFICATE_NAME_MASKING"] = mode  # the credential is signed at issue, with the masking then in force
    try:
        code = complete_course(app, uid)
        page = client.get(f"/verify/{code}").text
        credential = client.get(f"/certificates/{code}.json").get_json()
    finally:
        app.config.pop("CERTIFICATE_NAME_MASKING")
    assert shown in page and hidden not in page
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True and "Tuyết" not in json.dumps(credential, ensure_ascii=False)


# --- Open Badges ---------------------------------------------------------------------------------------


def test_open_badge_json_is_a_signed_openbadgecredential(app, client, factory):
    from lms.certificates.keyring import trusted_keys
    from lms.certificates.signing import BadSignature, verify_proof

    uid = factory.user(name="Đỗ Minh Khoa")
    code = complete_course(app, uid, "thanh-vien")
    response = client.get(f"/certificates/{code}.json")
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    credential = response.get_json()
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "ob/v3p0" in credential["@context"][1]
    assert credential["id"] == f"https://hocso.example.gov.vn/certificates/{code}.json"
    assert credential["issuer"]["id"].startswith("did:key:z6Mk") and credential["issuer"]["name"] == app.config["ISSUER_NAME"]
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Đỗ Minh Khoa"
    assert credential["credentialSubject"]["achievement"]["type"] == ["Achievement"]
    [proof] = credential["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022" and proof["type"] == "DataIntegrityProof"
    with app.app_context():
        keys = trusted_keys()
    assert verify_proof(credential, keys).did == credential["issuer"]["id"]
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "Đỗ Minh Khoa Học"
    with pytest.raises(BadSignature):
        verify_proof(credential, keys)
    assert client.get("/certificates/ABCD.json").status_code == 400
    assert client.get(f"/certificates/{codes.format_code(codes.new_code())}.json").get_json()["status"] == 404


def test_public_keys_are_published(app, client):
    keys = client.get("/certificates/keys.json").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["did"].startswith("did:key:z6Mk") and "BEGIN PUBLIC KEY" in keys[0]["pem"]
    page = client.get("/verify/offline").text
    assert keys[0]["kid"] in page and "verify.js" in page and "ed25519.js" in page


# --- the learner's downloads ---------------------------------------------------------------------------


def test_learner_downloads_only_their_own_certificate(app, factory):
    owner = factory.user()
    code = complete_course(app, owner)
    client, _, _, _ = login_as(app, factory)
    assert client.get(f"/certificates/mine/{code}.pdf").status_code == 404
    assert client.get(f"/certificates/mine/{code}.png").status_code == 404
    assert app.test_client().get(f"/certificates/mine/{code}.pdf").status_code == 302  # to the login page


def test_two_simultaneous_first_downloads_render_once(app, factory):
    from lms.certificates import storage

    client, auth, uid, phone = login_as(app, factory)
    code = complete_course(app, uid)
    clients = [client]
    for _ in range(3):
        other = app.test_client()
        from tests.factories import Auth

        Auth(other).login(phone)
        clients.append(other)
    before = storage.render_count
    barrier = threading.Barrier(len(clients))
    results = []

    def download(c):
        barrier.wait()
        results.append(c.get(f"/certificates/mine/{code}.pdf"))

    threads = [threading.Thread(target=download, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * len(clients)
    assert len({r.data for r in results}) == 1
    assert storage.render_count == before + 1


def test_dashboard_shows_download_and_preview_for_a_completed_course(app, factory):
    client, _, uid, _ = login_as(app, factory, name="Vũ Thị Mai")
    code = complete_course(app, uid)
    page = client.get("/dashboard").text
    assert "Tải giấy chứng nhận (PDF)" in page and f'src="/certificates/mine/{code}.png?r=1"' in page
    assert f"Bản xem trước giấy chứng nhận {code} cấp cho Vũ Thị Mai" in page
    mine = client.get("/certificates/mine").text
    assert code in mine


def test_key_missing_gives_a_friendly_page(app, factory, tmp_path):
    client, _, uid, _ = login_as(app, factory)
    code = complete_course(app, uid)
    saved = app.config["CERTIFICATE_SIGNING_KEY"]
    app.config["CERTIFICATE_SIGNING_KEY"] = str(tmp_path / "nope.pem")
    try:
        page = client.get(f"/certificates/mine/{code}.pdf")
    finally:
        app.config["CERTIFICATE_SIGNING_KEY"] = saved
    assert page.status_code == 503 and "flask lms init" in page.text
