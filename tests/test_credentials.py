"""Stable credentials and the status lists, seen from the app: signed once and served byte for
byte, revocation bits set and cleared in the signed list (also when two officials revoke at
once), a mistaken revocation undone (audited, announced once), erasure, credentials signed late,
hostile status list ids, and the app's own eddsa-rdfc-2022 check."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import delete, select

from lms.core import signals
from lms.core.audit import AuditEvent
from lms.core.extensions import db
from tests.cert_helpers import cert_key, complete_course, get_certificate  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, csrf_from, login_as
from tests.test_certificates_signals import Heard

pytestmark = pytest.mark.usefixtures("cert_key")


def _official(app, factory):
    client, _, uid, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE, name="Cán Bộ Xã")
    return client, uid


def _post(client, url, page, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(page).text), **data})


def _status_list(client, credential: dict) -> dict:
    path = "/" + credential["credentialStatus"]["statusListCredential"].split("://", 1)[1].split("/", 1)[1]
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    return response.get_json()


def _bit(client, credential: dict) -> bool:
    from lms.certificates.status import decode

    bits = decode(_status_list(client, credential)["credentialSubject"]["encodedList"])
    return int(credential["credentialStatus"]["statusListIndex"]) in bits


def _revoke(official, code, reason="Cấp nhầm người, đã xác minh"):
    page = f"/certificates/manage/c/{code}"
    return _post(official, f"{page}/revoke", page, {"reason": reason})


def _reinstate(official, code, reason="Thu hồi nhầm, đã đối chiếu hồ sơ"):
    page = f"/certificates/manage/c/{code}"
    return _post(official, f"{page}/reinstate", page, {"reason": reason})


def test_a_credential_is_signed_once_and_served_byte_for_byte(app, client, factory):
    from lms.certificates.models import Credential

    code = complete_course(app, factory.user(name="Mai Văn Bền"))
    first = client.get(f"/certificates/{code}.json")
    again = client.get(f"/certificates/{code}.json")
    assert first.status_code == again.status_code == 200
    assert first.data == again.data and first.headers["ETag"] == again.headers["ETag"]
    assert client.get(f"/certificates/{code}.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    with app.app_context():
        [row] = db.session.scalars(select(Credential)).all()
        assert row.document.encode("utf-8") == first.data and row.revision == 1 and row.revoked_at is None
    credential = first.get_json()
    assert credential["validFrom"] == credential["awardedDate"]
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    assert _bit(client, credential) is False


def test_the_apps_own_check_accepts_the_credential_and_refuses_tampering(app, client, factory):
    from lms.certificates.keyring import trusted_keys
    from lms.certificates.signing import BadSignature, verify_proof

    code = complete_course(app, factory.user(name="Đào Thị Hoa"))
    credential = client.get(f"/certificates/{code}.json").get_json()
    with app.app_context():
        keys = trusted_keys()
    assert verify_proof(credential, keys).did == credential["issuer"]["id"]
    for change in (
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Đào Thị Hòa"),
        lambda c: c["credentialSubject"]["achievement"].update(name="Chứng nhận khác"),
        lambda c: c.update(validFrom="2021-01-01T00:00:00Z"),
        lambda c: c["proof"][0].update(created="2021-01-01T00:00:00Z"),
        lambda c: c.update({"@context": [*c["@context"], "https://evil.example/context.json"]}),
    ):
        forged = json.loads(json.dumps(credential))
        change(forged)
        with pytest.raises(BadSignature):
            verify_proof(forged, keys)


def test_revocation_sets_the_bit_and_reinstating_clears_it_audited_and_announced_once(app, client, factory):
    code = complete_course(app, factory.user(name="Trương Văn Nhầm"))
    credential = client.get(f"/certificates/{code}.json").get_json()
    official, official_id = _official(app, factory)
    assert _revoke(official, code).status_code == 302
    assert _bit(client, credential) is True
    assert client.get(f"/certificates/{code}.json").status_code == 410
    page = official.get(f"/certificates/manage/c/{code}").text
    assert "Khôi phục (thu hồi nhầm)" in page
    short = _reinstate(official, code, reason="nhầm")
    assert short.status_code == 422 and "ít nhất 5 ký tự" in short.text and 'value="nhầm"' not in short.text
    assert "nhầm</textarea>" in short.text  # what was typed is kept
    heard = Heard()
    with signals.certificate_reinstated.connected_to(heard):
        assert _reinstate(official, code).status_code == 302
        assert _reinstate(official, code).status_code == 302  # a second click: nothing more
    [call] = heard.calls
    assert (call["sender"], call["certificate"], call["actor"]) == ("certificates", code, official_id)
    assert get_certificate(app, code).revoked_at is None
    assert _bit(client, credential) is False
    again = client.get(f"/certificates/{code}.json")
    assert again.status_code == 200 and again.get_json() == credential  # the same credential, valid again
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.reinstate")).all()
        assert event.actor_id == official_id and event.target_id == code.replace("-", "")
        assert event.detail["reason"] == "Thu hồi nhầm, đã đối chiếu hồ sơ"
        assert event.detail["revoked_reason"] == "Cấp nhầm người, đã xác minh"
    history = official.get(f"/certificates/manage/c/{code}").text
    assert "khôi phục: Thu hồi nhầm, đã đối chiếu hồ sơ" in history


def test_a_name_correction_supersedes_the_old_credential(app, client, factory):
    from lms.certificates.models import Credential

    code = complete_course(app, factory.user(name="Nguyen Thi Lan"))
    old = client.get(f"/certificates/{code}.json").get_json()
    official, _ = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    assert _post(official, f"{page}/regenerate", page, {"full_name": "Nguyễn Thị Lan", "revision": "1"}).status_code == 302
    new = client.get(f"/certificates/{code}.json").get_json()
    assert new["validFrom"] >= old["validFrom"] and new["awardedDate"] == old["awardedDate"]
    assert _bit(client, old) is True and _bit(client, new) is False
    with app.app_context():
        rows = db.session.scalars(select(Credential).order_by(Credential.revision)).all()
        assert [(r.revision, r.status_reason) for r in rows] == [(1, "superseded"), (2, None)]
    # Revoking now sets the new one's bit too; reinstating clears only the new one's.
    assert _revoke(official, code).status_code == 302
    assert _bit(client, new) is True
    assert _reinstate(official, code).status_code == 302
    assert _bit(client, new) is False and _bit(client, old) is True


def test_an_erased_account_leaves_its_bits_set_and_no_stored_name(app, client, factory):
    from lms.certificates.models import Credential

    learner, auth, uid, _ = login_as(app, factory, name="Đinh Thị Rời")
    code = complete_course(app, uid)
    credential = client.get(f"/certificates/{code}.json").get_json()
    assert auth.post("/account/delete", {"password": "mat-khau-123", "confirm": "y"}).status_code == 302
    assert _bit(client, credential) is True
    assert client.get(f"/certificates/{code}.json").status_code == 410
    with app.app_context():
        [row] = db.session.scalars(select(Credential)).all()
        assert row.document is None and row.revoked_at is not None and row.status_index is not None
    # Nobody can undo that revocation (officials do not see the erased account; an admin is refused).
    from lms.accounts.models import User
    from lms.certificates import services
    from lms.certificates.models import Certificate
    from lms.core.errors import Conflict

    admin = factory.user(role="admin")
    with app.test_request_context("/", method="POST"):
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == uid))
        assert services.may_reinstate(certificate) is False
        with pytest.raises(Conflict):
            services.reinstate(db.session.get(User, admin), certificate, "Khôi phục thử cho tài khoản đã xóa")


def test_a_certificate_without_a_credential_gets_one_on_first_request_then_keeps_it(app, client, factory, tmp_path):
    from lms.certificates.models import Credential

    saved = app.config["CERTIFICATE_SIGNING_KEY"]
    app.config["CERTIFICATE_SIGNING_KEY"] = str(tmp_path / "missing.pem")
    try:
        code = complete_course(app, factory.user(name="Phí Văn Chờ"))  # no key: the course still completes
    finally:
        app.config["CERTIFICATE_SIGNING_KEY"] = saved
    assert code is not None
    with app.app_context():
        assert db.session.scalars(select(Credential)).all() == []
    first = client.get(f"/certificates/{code}.json")
    assert first.status_code == 200 and first.get_json()["credentialSubject"]["identifier"][0]["identityHash"] == "Phí Văn Chờ"
    assert client.get(f"/certificates/{code}.json").data == first.data
    with app.app_context():
        db.session.execute(delete(Credential))  # as for a certificate issued before credentials existed
        db.session.commit()
    assert client.get(f"/certificates/{code}.json").status_code == 200


@pytest.mark.parametrize("list_id", ["0", "2", "99999999999999999999", "-1", "１", "²", "abc", "1.json"])
def test_unknown_or_hostile_status_list_ids_get_a_json_404(app, client, factory, list_id):
    complete_course(app, factory.user())
    response = client.get(f"/certificates/status/{list_id}")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert "Không có danh sách trạng thái này" in response.get_json()["error"]
    assert client.get("/certificates/status/1%00").status_code == 400  # refused app-wide before any view


def test_two_officials_revoking_at_once_both_show_in_the_list(app, client, factory):
    codes = [complete_course(app, factory.user(name=f"Người Thứ {n}")) for n in ("Nhất", "Hai")]
    credentials = [client.get(f"/certificates/{code}.json").get_json() for code in codes]
    lists = {credential["credentialStatus"]["statusListCredential"] for credential in credentials}
    assert len(lists) == 1  # both bits in the same list
    officials = [_official(app, factory)[0] for _ in codes]
    pages = [f"/certificates/manage/c/{code}" for code in codes]
    tokens = [csrf_from(official.get(page).text) for official, page in zip(officials, pages, strict=True)]
    barrier = threading.Barrier(2)
    statuses = []

    def revoke(official, code, token):
        barrier.wait()
        data = {"csrf_token": token, "reason": "Thu hồi đồng thời"}
        response = official.post(f"/certificates/manage/c/{code}/revoke", data=data)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=revoke, args=args) for args in zip(officials, codes, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert [_bit(client, credential) for credential in credentials] == [True, True]
    assert _status_list(client, credentials[0])["credentialSubject"]["encodedList"]
