"""The served Open Badges credentials checked by code that is not the app's: Digital Bazaar's
Verifiable Credentials library (eddsa-rdfc-2022) with their Bitstring Status List checker, run
by Node (tests/fixtures/credentials/verifier, packages installed by `npm ci`, which .ci/test
runs), and 1EdTech's AchievementCredential JSON schema through ajv. Every context is loaded
offline from those packages, not from the app's copies."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cert_helpers import cert_key, complete_course  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, csrf_from, login_as

pytestmark = pytest.mark.usefixtures("cert_key")

FIXTURES = Path(__file__).parent / "fixtures" / "credentials"
VERIFIER = FIXTURES / "verifier"
SCHEMA = FIXTURES / "ob_v3p0_achievementcredential_schema.json"


def node_check(credential: dict, documents: dict | None = None, schema: Path | None = SCHEMA) -> dict:
    """What the third-party verifier says. Missing Node or packages is a failure, not a skip:
    .ci/test installs them (npm ci in the verifier folder)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the third-party verifier (Debian package nodejs)"
    assert (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").is_dir(), f"run: npm ci --prefix {VERIFIER}"
    request = {"credential": credential, "documents": documents or {}, "schema": str(schema) if schema else None}
    done = subprocess.run(  # noqa: S603  (our own script, the request on stdin)
        [node, str(VERIFIER / "verify.mjs")], input=json.dumps(request), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _status_documents(client, credential: dict) -> dict:
    url = credential["credentialStatus"]["statusListCredential"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    return {url: response.get_json()}


def _official(app, factory):
    client, _, uid, _ = login_as(app, factory, role="commune_official", role_commune=DEMO_COMMUNE, name="Cán Bộ Xã")
    return client


def _post(client, url, page, data):
    return client.post(url, data={"csrf_token": csrf_from(client.get(page).text), **data})


def test_served_credential_passes_the_third_party_verifier_and_the_1edtech_schema(app, client, factory):
    code = complete_course(app, factory.user(name="Hoàng Thị Thu Hương"))
    response = client.get(f"/certificates/{code}.json")
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    credential = response.get_json()
    assert isinstance(credential["proof"], list) and credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    result = node_check(credential, _status_documents(client, credential))
    assert result["error"] is None and result["verified"] is True
    assert result["statusChecked"] is True and result["revoked"] is False
    assert result["schemaValid"] is True, result["schemaErrors"]
    # The schema is a real check: the earlier form, with one proof object, does not pass it.
    credential["proof"] = credential["proof"][0]
    assert node_check(credential, schema=SCHEMA)["schemaValid"] is False


def test_status_list_credential_is_signed_and_verifies_on_its_own(app, client, factory):
    code = complete_course(app, factory.user())
    credential = client.get(f"/certificates/{code}.json").get_json()
    [(url, status_list)] = _status_documents(client, credential).items()
    assert status_list["id"] == url and status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["credentialSubject"]["statusPurpose"] == "revocation"
    assert status_list["issuer"] == credential["issuer"]["id"]
    result = node_check(status_list, schema=None)
    assert result["error"] is None and result["verified"] is True
    forged = json.loads(json.dumps(status_list))
    forged["credentialSubject"]["encodedList"] = forged["credentialSubject"]["encodedList"][:-4] + "AAAA"
    assert node_check(forged, schema=None)["verified"] is False


@pytest.mark.parametrize(
    "tamper",
    [
        ("name", lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Hoàng Thị Thu Hường")),
        ("achievement", lambda c: c["credentialSubject"]["achievement"].update(name="Chứng chỉ tin học nâng cao")),
        (
            "achievement id",
            lambda c: c["credentialSubject"]["achievement"].update(id="https://hocso.example.gov.vn/courses/khac"),
        ),
        ("validFrom", lambda c: c.update(validFrom="2020-01-01T00:00:00Z")),
        ("awardedDate", lambda c: c.update(awardedDate="2019-06-30T08:00:00Z")),
        ("issuer name", lambda c: c["issuer"].update(name="Trường Đại học Ma")),
        ("status index", lambda c: c["credentialStatus"].update(statusListIndex="7")),
    ],
    ids=lambda t: t[0],
)
def test_tampered_credentials_fail_the_third_party_verifier(app, client, factory, tamper):
    code = complete_course(app, factory.user(name="Hoàng Thị Thu Hương"))
    credential = client.get(f"/certificates/{code}.json").get_json()
    documents = _status_documents(client, credential)
    tamper[1](credential)
    result = node_check(credential, documents, schema=None)
    assert result["verified"] is False and result["error"]


def test_a_revocation_shows_through_the_status_list_to_a_copy_downloaded_before(app, client, factory):
    code = complete_course(app, factory.user(name="Lý Văn Tám"))
    kept = client.get(f"/certificates/{code}.json").get_json()  # the holder's copy, saved before
    before = _status_documents(client, kept)
    official = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    assert _post(official, f"{page}/revoke", page, {"reason": "Cấp nhầm người, đã xác minh"}).status_code == 302
    after = _status_documents(client, kept)
    assert after != before  # signed again with the bit set
    result = node_check(kept, after, schema=None)
    assert result["verified"] is True and result["statusChecked"] is True and result["revoked"] is True
    # Undone by mistake-correction: the same copy is valid again.
    assert _post(official, f"{page}/reinstate", page, {"reason": "Thu hồi nhầm, đã đối chiếu hồ sơ"}).status_code == 302
    result = node_check(kept, _status_documents(client, kept), schema=None)
    assert result["verified"] is True and result["revoked"] is False


def test_a_name_correction_issues_a_new_credential_and_revokes_the_old_one(app, client, factory):
    code = complete_course(app, factory.user(name="Nguyen Van Hung"))
    old = client.get(f"/certificates/{code}.json").get_json()
    official = _official(app, factory)
    page = f"/certificates/manage/c/{code}"
    response = _post(official, f"{page}/regenerate", page, {"full_name": "Nguyễn Văn Hùng", "revision": "1"})
    assert response.status_code == 302
    new = client.get(f"/certificates/{code}.json").get_json()
    assert new["id"] == old["id"] and new["awardedDate"] == old["awardedDate"]
    assert new["credentialSubject"]["identifier"][0]["identityHash"] == "Nguyễn Văn Hùng"
    assert new["credentialStatus"]["statusListIndex"] != old["credentialStatus"]["statusListIndex"]
    documents = _status_documents(client, new)
    fresh = node_check(new, documents)
    assert fresh["verified"] is True and fresh["revoked"] is False and fresh["schemaValid"] is True
    stale = node_check(old, _status_documents(client, old), schema=None)
    assert stale["verified"] is True and stale["revoked"] is True
