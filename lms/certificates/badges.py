"""Open Badges 3.0: an OpenBadgeCredential (W3C VC 2.0) per certificate, signed with a Data
Integrity proof (cryptosuite eddsa-jcs-2022) by the deployment's did:key. See docs/certificates.md
for how to verify one."""

from __future__ import annotations

import hashlib
import secrets

from lms.certificates import keyring, settings
from lms.certificates.models import Certificate
from lms.certificates.render import local_date
from lms.certificates.signing import add_proof
from lms.core.models import utcnow

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def _iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _identity(certificate: Certificate) -> dict:
    """The holder's name as an IdentityObject: in clear when the deployment shows names on the
    verification page, else salted and hashed (the holder can prove it with name + salt)."""
    if settings.name_masking() == "none":
        return {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": certificate.printed_name}
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((certificate.printed_name + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "identityType": "name", "hashed": True, "identityHash": f"sha256${digest}", "salt": salt}


def credential(certificate: Certificate) -> dict:
    base = settings.public_base_url()
    key = keyring.current_public_key()
    course = certificate.course
    issued = local_date(certificate.issued_at).isoformat()
    document = {
        "@context": CONTEXT,
        "id": f"{base}/certificates/{certificate.display_code}.json",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.certificate_title,
        "issuer": {
            "id": key.did,
            "type": ["Profile"],
            "name": certificate.issuer_name,
            "url": f"{base}/",
        },
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [_identity(certificate)],
            "achievement": {
                "id": f"{base}/courses/{course.slug}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.certificate_title,
                "description": f"Hoàn thành {certificate.course_title} trên nền tảng Học số cộng đồng.",
                "criteria": {
                    "narrative": "Học hết các bài học và đạt điểm yêu cầu ở bài kiểm tra của mọi học phần bắt buộc.",
                },
                "inLanguage": "vi",
            },
        },
        "evidence": [
            {
                "id": f"{base}/verify/{certificate.display_code}",
                "type": ["Evidence"],
                "name": f"Trang kiểm tra giấy chứng nhận {certificate.display_code} (cấp ngày {issued})",
            }
        ],
    }
    return add_proof(document, keyring.private_key(), created=_iso(utcnow()))
