"""Officials: revoke and regenerate (audited, idempotent, in scope only), bulk ZIP and print PDF
by commune, village and team through the scope rules, and the offline verification command."""

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from lms.core.audit import AuditEvent
from lms.core.extensions import db
from tests.cert_helpers import (  # noqa: F401  (cert_key is a fixture)
    cert_key,
    complete_course,
    decode_qr,
    get_certificate,
    pdf_pages,
    pdf_text,
    render_pdf,
)
from tests.factories import DEMO_COMMUNE, OTHER_COMMUNE, csrf_from, login_as

pytestmark = pytest.mark.usefixtures("cert_key")


def _official(app, factory, commune=DEMO_COMMUNE):
    client, _, uid, _ = login_as(app, factory, role="commune_official", role_commune=commune, name="Cán Bộ Xã")
    return client, uid


def _post(client, url, page, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(page).text), **data})


def _audit(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- revoke ------------------------------------------------------------------------------------


def test_official_revokes_with_a_reason_and_the_verify_page_says_why(app, client, factory):
    learner = factory.user(name="Bùi Văn Toàn")
    code = complete_course(app, learner)
    official, official_id = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    assert "Bùi Văn Toàn" in official.get(page).text
    response = _post(official, f"{page}/revoke", page, {"reason": "Cấp nhầm người, đã xác minh tại UBND xã"})
    assert response.status_code == 302
    assert "Đã thu hồi giấy chứng nhận" in official.get(page).text
    verify = client.get(f"/verify/{code}").text
    assert "ĐÃ THU HỒI" in verify and "Cấp nhầm người, đã xác minh tại UBND xã" in verify
    assert client.get(f"/certificates/{code}.json").status_code == 410
    [event] = _audit(app, "certificate.revoke")
    assert event.actor_id == official_id and event.target_id == code.replace("-", "")
    assert event.detail["reason"] == "Cấp nhầm người, đã xác minh tại UBND xã"
    # A double click: the second submission changes nothing and is not logged twice.
    again = _post(official, f"{page}/revoke", page.replace("/revoke", ""), {"reason": "Lý do khác hẳn"})
    assert again.status_code == 302
    assert get_certificate(app, code).revoke_reason == "Cấp nhầm người, đã xác minh tại UBND xã"
    assert len(_audit(app, "certificate.revoke")) == 1
    # The learner sees it on the dashboard and can no longer download it.
    learner_client, _, _, _ = login_as(app, factory)
    assert learner_client.get(f"/certificates/mine/{code}.pdf").status_code == 404


def test_revoke_needs_a_real_reason(app, factory):
    code = complete_course(app, factory.user())
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    response = _post(official, f"{page}/revoke", page, {"reason": "  x "})
    assert response.status_code == 422 and "ít nhất 5 ký tự" in response.text
    assert get_certificate(app, code).revoked_at is None


def test_correct_name_and_regenerate_under_the_same_code(app, client, factory):
    learner = factory.user(name="Nguyen Van Hung")
    code = complete_course(app, learner)
    assert "Nguyen Van Hung" in pdf_text(render_pdf(app, code))
    official, official_id = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    html = official.get(page).text
    assert 'name="revision" type="hidden" value="1"' in html
    data = {"full_name": "Nguyễn Văn Hùng", "revision": "1"}
    assert _post(official, f"{page}/regenerate", page, data).status_code == 302
    certificate = get_certificate(app, code)
    assert certificate.revision == 2 and certificate.printed_name == "Nguyễn Văn Hùng"
    assert factory.get_user(learner).full_name == "Nguyễn Văn Hùng"  # the profile is corrected too
    pdf = render_pdf(app, code)
    assert "Nguyễn Văn Hùng" in pdf_text(pdf) and "Nguyen Van Hung" not in pdf_text(pdf)
    [qr] = decode_qr(pdf)
    assert qr.startswith(f"https://hocso.example.gov.vn/verify/{code}#")
    with app.app_context():
        from lms.certificates.keyring import trusted_keys
        from lms.certificates.signing import verify_payload

        fields = verify_payload(qr, trusted_keys())
    assert fields["n"] == "Nguyễn Văn Hùng" and fields["r"] == 2
    verify = client.get(f"/verify/{code}").text
    assert "Nguyễn Văn Hùng" in verify and "lần 2" in verify
    [event] = _audit(app, "certificate.regenerate")
    assert event.actor_id == official_id
    assert event.detail["old_name"] == "Nguyen Van Hung" and event.detail["new_name"] == "Nguyễn Văn Hùng"
    # The same form sent again (double click, retry) does nothing more.
    assert _post(official, f"{page}/regenerate", page, data).status_code == 302
    assert get_certificate(app, code).revision == 2 and len(_audit(app, "certificate.regenerate")) == 1
    # Only the current revision's file is kept.
    from lms.certificates import settings

    with app.app_context():
        files = sorted(p.name for p in (settings.storage_dir() / code[:2]).glob(code.replace("-", "") + "-r*"))
    assert files == [f"{code.replace('-', '')}-r2.pdf"]


def test_regenerate_refuses_an_invalid_name(app, factory):
    code = complete_course(app, factory.user())
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    response = _post(official, f"{page}/regenerate", page, {"full_name": "<b>x</b>", "revision": "1"})
    assert response.status_code == 422 and "chỉ gồm chữ cái" in response.text
    assert get_certificate(app, code).revision == 1


def test_certificates_outside_the_scope_do_not_exist_for_an_official(app, factory):
    far = factory.user(commune=OTHER_COMMUNE)
    code = complete_course(app, far)
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    assert official.get(page).status_code == 404
    token = csrf_from(official.get("/certificates/manage").text)
    assert official.post(f"{page}/revoke", data={"csrf_token": token, "reason": "thử thu hồi"}).status_code == 404
    regenerate = {"csrf_token": token, "full_name": "Ai Đó", "revision": "1"}
    assert official.post(f"{page}/regenerate", data=regenerate).status_code == 404
    assert get_certificate(app, code).revoked_at is None
    found = official.get("/certificates/manage", query_string={"q": code})
    assert "Không tìm thấy giấy chứng nhận này trong phạm vi bạn quản lý" in found.text
    # Learners do not manage certificates at all: for them the pages do not exist (404, as
    # anything out of scope), with a message that says whom they are for.
    learner, _, _, _ = login_as(app, factory)
    refused = learner.get("/certificates/manage")
    assert refused.status_code == 404 and "dành cho cán bộ xã, cán bộ tỉnh và quản trị viên" in refused.text
    assert learner.get(page).status_code == 404
    # An admin sees everything.
    admin, _, _, _ = login_as(app, factory, role="admin")
    assert admin.get(page).status_code == 200


def test_an_official_changes_no_certificate_of_an_equal_or_higher_role(app, factory):
    """Revoking and correcting touch the holder's record: an official's certificate is changed
    by an admin only, as any correction of an official (team or commune never widens that)."""
    colleague = factory.user(name="Đỗ Thị Cán", role="commune_official", role_commune=DEMO_COMMUNE)
    code = complete_course(app, colleague)
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    shown = official.get(page)
    assert shown.status_code == 200 and "giữ vai trò ngang hoặc cao hơn vai trò của bạn" in shown.text
    assert 'id="revoke"' not in shown.text and 'id="regenerate"' not in shown.text
    revoked = _post(official, f"{page}/revoke", page, {"reason": "Thử thu hồi của đồng nghiệp"})
    assert revoked.status_code == 403 and "không thu hồi hay sửa tên" in revoked.text
    renamed = _post(official, f"{page}/regenerate", page, {"full_name": "Tên Khác Hẳn", "revision": "1"})
    assert renamed.status_code == 403
    certificate = get_certificate(app, code)
    assert certificate.revoked_at is None and certificate.printed_name == "Đỗ Thị Cán"
    assert factory.get_user(colleague).full_name == "Đỗ Thị Cán"
    assert _audit(app, "certificate.revoke") == [] and _audit(app, "certificate.regenerate") == []
    admin, _, _, _ = login_as(app, factory, role="admin")
    assert _post(admin, f"{page}/revoke", page, {"reason": "Thu hồi theo quyết định"}).status_code == 302
    assert get_certificate(app, code).revoked_at is not None


# --- bulk --------------------------------------------------------------------------------------


@pytest.fixture
def commune_with_teams(app, factory):
    """Two villages with a team each in the demo commune, certificates for their members,
    a certificate for someone who only lives there, and one in another commune."""
    v1, v2 = factory.village(name="Thôn Đông"), factory.village(name="Thôn Tây")
    a = factory.user(name="Nguyễn Văn A")
    b = factory.user(name="Trần Thị B")
    c = factory.user(name="Lê Văn C", commune=OTHER_COMMUNE)  # lives elsewhere, member of a team here: not ours
    resident = factory.user(name="Phạm Thị Dân")
    far = factory.user(name="Hồ Văn Xa", commune=OTHER_COMMUNE)
    t1 = factory.team(v1, name="Tổ số 1", members=[a, c], leader=a)
    t2 = factory.team(v2, name="Tổ số 2", members=[b])
    codes = {uid: complete_course(app, uid) for uid in (a, b, c, resident, far)}
    return {"villages": (v1, v2), "teams": (t1, t2), "users": (a, b, c, resident, far), "codes": codes}


def _bulk(client, group, file, **data):
    """Press a download button of a group page: a POST (CSRF, audited) that answers with a
    signed link to the file, which the browser then follows."""
    token = csrf_from(client.get("/certificates/manage").text)
    response = client.post(f"{group}/{file}", data={"csrf_token": token, **data})
    if response.status_code != 303:
        return response
    assert response.headers["Location"].startswith(f"{group}/{file}?"), response.headers["Location"]
    return client.get(response.headers["Location"])


def _zip_names(response):
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.testzip() is None
    return sorted(archive.namelist()), archive


def test_bulk_zip_by_commune_village_and_team(app, factory, commune_with_teams):
    official, _ = _official(app, factory)
    data = commune_with_teams
    a, b, c, resident, far = data["users"]
    codes = data["codes"]
    group = f"/certificates/manage/commune/{DEMO_COMMUNE}"
    page = official.get(group)
    assert page.status_code == 200 and "3 giấy chứng nhận còn hiệu lực" in page.text
    assert f'<form method="post" action="{group}/chung-nhan.zip">' in page.text  # a button, not a link
    response = _bulk(official, group, "chung-nhan.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip" and response.is_streamed
    names, archive = _zip_names(response)
    # Team membership widens nothing: Lê Văn C, who lives elsewhere, is left to their own commune.
    assert names == sorted([
        f"nguyen-van-a_{codes[a]}.pdf", f"pham-thi-dan_{codes[resident]}.pdf", f"tran-thi-b_{codes[b]}.pdf",
    ])  # fmt: skip
    assert "Trần Thị B" in pdf_text(archive.read(f"tran-thi-b_{codes[b]}.pdf"))
    v1, v2 = data["villages"]
    names, _ = _zip_names(_bulk(official, f"/certificates/manage/village/{v1}", "chung-nhan.zip"))
    assert names == [f"nguyen-van-a_{codes[a]}.pdf"]
    t1, t2 = data["teams"]
    names, _ = _zip_names(_bulk(official, f"/certificates/manage/team/{t2}", "chung-nhan.zip"))
    assert names == [f"tran-thi-b_{codes[b]}.pdf"]
    assert len(_audit(app, "certificate.bulk_zip")) == 3


def test_bulk_respects_scope(app, factory, commune_with_teams):
    data = commune_with_teams
    t1, _ = data["teams"]
    v1, _ = data["villages"]
    far_official, _ = _official(app, factory, commune=OTHER_COMMUNE)
    for url in (
        f"/certificates/manage/commune/{DEMO_COMMUNE}",
        f"/certificates/manage/commune/{DEMO_COMMUNE}/chung-nhan.zip",
        f"/certificates/manage/village/{v1}/ban-in.pdf?part=1",
        f"/certificates/manage/team/{t1}/chung-nhan.zip",
        f"/certificates/manage/team/{t1}/progress.json",
    ):
        assert far_official.get(url).status_code == 404, url
    for group, file, fields in (
        (f"/certificates/manage/commune/{DEMO_COMMUNE}", "chung-nhan.zip", {}),
        (f"/certificates/manage/village/{v1}", "ban-in.pdf", {"part": "1"}),
        (f"/certificates/manage/team/{t1}", "chung-nhan.zip", {}),
    ):
        assert _bulk(far_official, group, file, **fields).status_code == 404, group
    assert _audit(app, "certificate.bulk_zip") == [] and _audit(app, "certificate.bulk_print") == []
    # In their own commune they see the people who live there, the one in a team elsewhere too.
    codes = data["codes"]
    a, b, c, resident, far = data["users"]
    names, _ = _zip_names(_bulk(far_official, f"/certificates/manage/commune/{OTHER_COMMUNE}", "chung-nhan.zip"))
    assert names == sorted([f"ho-van-xa_{codes[far]}.pdf", f"le-van-c_{codes[c]}.pdf"])
    # The team leader is not an official: no bulk downloads.
    from tests.factories import Auth

    leader = app.test_client()
    with app.app_context():
        from lms.accounts.models import User

        phone = db.session.get(User, a).phone
    Auth(leader).login("0" + phone[3:])
    assert leader.get(f"/certificates/manage/team/{t1}").status_code == 404
    assert leader.get(f"/certificates/manage/team/{t1}/chung-nhan.zip").status_code == 404
    assert _bulk(leader, f"/certificates/manage/team/{t1}", "chung-nhan.zip").status_code == 404
    assert [e for e in _audit(app, "certificate.bulk_zip") if e.actor_id == a] == []
    # A made-up group id is simply not found.
    official, _ = _official(app, factory)
    assert official.get("/certificates/manage/team/999999").status_code == 404
    assert official.get("/certificates/manage/village/abc").status_code == 404
    assert official.get("/certificates/manage/commune/99999").status_code == 404


def test_revoked_certificates_are_left_out_of_bulk_files(app, factory, commune_with_teams):
    data = commune_with_teams
    codes = data["codes"]
    a, b, *_ = data["users"]
    _, t2 = data["teams"]
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{codes[b]}"
    _post(official, f"{page}/revoke", page, {"reason": "Thu hồi để kiểm thử"})
    assert _bulk(official, f"/certificates/manage/team/{t2}", "chung-nhan.zip").status_code == 404
    assert _audit(app, "certificate.bulk_zip") == []  # nothing was downloaded
    listing = official.get(f"/certificates/manage/team/{t2}").text
    assert "Đã thu hồi" in listing and "0 giấy chứng nhận còn hiệu lực" in listing


def test_print_pdf_has_one_page_per_certificate_in_batches(app, factory, commune_with_teams):
    official, official_id = _official(app, factory)
    group = f"/certificates/manage/commune/{DEMO_COMMUNE}"
    response = _bulk(official, group, "ban-in.pdf", part="1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_pages(response.data) == 3
    text = pdf_text(response.data)
    for name in ("Nguyễn Văn A", "Trần Thị B", "Phạm Thị Dân"):
        assert name in text
    assert "Lê Văn C" not in text
    app.config["CERTIFICATE_PRINT_BATCH"] = 2
    try:
        page = official.get(group).text
        assert "Bản in phần 2" in page and '<button type="submit" class="button secondary" name="part" value="2">' in page
        assert pdf_pages(_bulk(official, group, "ban-in.pdf", part="2").data) == 1
        for part in ("3", "x", "0", "", "²", "٢", "２", "1" * 30):
            response = _bulk(official, group, "ban-in.pdf", part=part)
            assert response.status_code == 404 and "Không có giấy chứng nhận nào trong phần này" in response.text, part
    finally:
        app.config.pop("CERTIFICATE_PRINT_BATCH")
    events = _audit(app, "certificate.bulk_print")
    assert sorted(e.detail["part"] for e in events) == [1, 2] and {e.actor_id for e in events} == {official_id}


def test_a_download_link_from_elsewhere_records_nothing(app, factory, commune_with_teams, monkeypatch):
    """The file URLs are GETs that write nothing: only the button's POST (with its CSRF token)
    records the download, and its signed link serves this official, this file, for a while."""
    from lms.certificates import bulk

    official, official_id = _official(app, factory)
    group = f"/certificates/manage/commune/{DEMO_COMMUNE}"
    for url in (f"{group}/chung-nhan.zip", f"{group}/ban-in.pdf?part=1", f"{group}/chung-nhan.zip?t=forged"):
        response = official.get(url)
        assert response.status_code == 303 and response.headers["Location"] == group, url
        assert "Liên kết tải đã hết hạn hoặc không hợp lệ" in official.get(group).text
    assert official.post(f"{group}/chung-nhan.zip").status_code == 400  # no CSRF token: a cross-site form
    assert official.post(f"{group}/ban-in.pdf", data={"part": "1"}).status_code == 400
    assert _audit(app, "certificate.bulk_zip") == [] and _audit(app, "certificate.bulk_print") == []

    token = csrf_from(official.get(group).text)
    link = official.post(f"{group}/chung-nhan.zip", data={"csrf_token": token}).headers["Location"]
    [event] = _audit(app, "certificate.bulk_zip")
    assert event.actor_id == official_id and event.target_id == DEMO_COMMUNE and event.detail["count"] == 3
    for _ in range(2):  # following the link again (a retried download) writes nothing more
        assert official.get(link).status_code == 200
    assert len(_audit(app, "certificate.bulk_zip")) == 1
    # Another official of the same commune cannot use it, nor can it fetch another file or group.
    colleague, _ = _official(app, factory)
    assert colleague.get(link).status_code == 303
    signed = link.split("t=")[1]
    assert official.get(f"{group}/ban-in.pdf?part=1&t={signed}").status_code == 303
    _, t2 = commune_with_teams["teams"]
    assert official.get(f"/certificates/manage/team/{t2}/chung-nhan.zip?t={signed}").status_code == 303
    printed = official.post(f"{group}/ban-in.pdf", data={"csrf_token": token, "part": "1"}).headers["Location"]
    assert official.get(printed.replace("part=1", "part=2")).status_code == 303
    assert official.get(printed).status_code == 200
    monkeypatch.setattr(bulk, "LINK_MINUTES", -1)  # as if the link were older than its lifetime
    assert official.get(link).status_code == 303 and official.get(printed).status_code == 303
    assert len(_audit(app, "certificate.bulk_zip")) == 1 and len(_audit(app, "certificate.bulk_print")) == 1


def test_progress_json_counts_rendered_pdfs(app, factory, commune_with_teams):
    official, _ = _official(app, factory)
    _, t2 = commune_with_teams["teams"]
    before = official.get(f"/certificates/manage/team/{t2}/progress.json").get_json()
    assert before == {"total": 1, "ready": 0, "percent": 0, "done": False}
    _bulk(official, f"/certificates/manage/team/{t2}", "chung-nhan.zip").close()
    after = official.get(f"/certificates/manage/team/{t2}/progress.json").get_json()
    assert after["ready"] == 1 and after["done"] is True


# --- command line ------------------------------------------------------------------------------


def test_cert_verify_command_accepts_a_good_qr_and_rejects_a_tampered_one(app, factory):
    from lms.certificates.signing import b64url, b64url_decode

    code = complete_course(app, factory.user(name="Mai Thị Thu"))
    [qr] = decode_qr(render_pdf(app, code))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "cert-verify", qr])
    assert result.exit_code == 0, result.output
    assert "HỢP LỆ" in result.output and "Mai Thị Thu" in result.output and code in result.output

    payload, signature = qr.split("#")[1].split(".")
    fields = json.loads(b64url_decode(payload))
    fields["n"] = "Mai Thị Thu Hà"
    forged = qr.split("#")[0] + "#" + b64url(json.dumps(fields, ensure_ascii=False).encode()) + "." + signature
    result = runner.invoke(args=["lms", "cert-verify", forged])
    assert result.exit_code == 1 and "KHÔNG HỢP LỆ" in result.output and "đã bị sửa" in result.output
    result = runner.invoke(args=["lms", "cert-verify", "https://hocso.example.gov.vn/verify/ABCD"])
    assert result.exit_code == 1 and "Không tìm thấy dữ liệu ký" in result.output
    result = runner.invoke(args=["lms", "cert-verify", "-"], input=qr + "\n")
    assert result.exit_code == 0


def test_cert_verify_with_only_the_public_key_and_a_foreign_key(app, factory, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    code = complete_course(app, factory.user())
    [qr] = decode_qr(render_pdf(app, code))
    runner = app.test_cli_runner()
    keys = app.test_client().get("/certificates/keys.json").get_json()["keys"]
    pem = tmp_path / "public.pem"
    pem.write_text(keys[0]["pem"])
    result = runner.invoke(args=["lms", "cert-verify", "--offline", "--public-key", str(pem), qr])
    assert result.exit_code == 0 and "Chưa tra trạng thái thu hồi" in result.output
    stranger = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    result = runner.invoke(args=["lms", "cert-verify", "--offline", "--public-key", stranger, qr])
    assert result.exit_code == 1 and "không có trong danh sách khóa tin cậy" in result.output


def test_cert_verify_reports_a_revoked_certificate(app, factory):
    code = complete_course(app, factory.user())
    [qr] = decode_qr(render_pdf(app, code))
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    _post(official, f"{page}/revoke", page, {"reason": "Vi phạm quy chế thi"})
    result = app.test_cli_runner().invoke(args=["lms", "cert-verify", qr])
    assert result.exit_code == 2 and "ĐÃ THU HỒI" in result.output and "Vi phạm quy chế thi" in result.output


def test_cert_verify_checks_an_open_badges_file(app, factory, tmp_path):
    code = complete_course(app, factory.user(name="Đinh Công Tráng"))
    credential = app.test_client().get(f"/certificates/{code}.json").get_json()
    good = tmp_path / "badge.json"
    good.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "cert-verify", "--credential", str(good)])
    assert result.exit_code == 0 and "eddsa-rdfc-2022" in result.output
    credential["validFrom"] = "2020-01-01T00:00:00Z"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(credential), encoding="utf-8")
    result = runner.invoke(args=["lms", "cert-verify", "--credential", str(bad)])
    assert result.exit_code == 1 and "KHÔNG HỢP LỆ" in result.output


def test_init_creates_the_signing_key_outside_the_repository(app, tmp_path):
    from lms.certificates.signing import load_private_key

    path = tmp_path / "instance" / "certificate-signing-key.pem"
    saved = app.config["CERTIFICATE_SIGNING_KEY"]
    app.config["CERTIFICATE_SIGNING_KEY"] = str(path)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["lms", "cert-keygen"])
        assert result.exit_code == 0 and "Đã tạo khóa ký" in result.output and "did:key:z6Mk" in result.output
        first = path.read_bytes()
        assert (path.stat().st_mode & 0o777) == 0o600
        result = runner.invoke(args=["lms", "cert-keygen"])
        assert "Khóa ký đã có" in result.output and path.read_bytes() == first  # never replaced
        load_private_key(path)
        with app.app_context():
            from lms.commands import _ensure_certificate_key

            _ensure_certificate_key()  # what `init` and `demo` call
        assert path.read_bytes() == first
    finally:
        app.config["CERTIFICATE_SIGNING_KEY"] = saved
    assert "--public-key" in app.test_cli_runner().invoke(args=["lms", "cert-verify", "--help"]).output
