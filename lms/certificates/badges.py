"""Open Badges 3.0: the OpenBadgeCredential (W3C VC Data Model 2.0) of a certificate revision,
with its Bitstring Status List entry and a Data Integrity proof (eddsa-rdfc-2022) by the
deployment's did:key. credentials.py signs it once and stores it; docs/certificates.md says how
to verify one."""

from __future__ import annotations

import hashlib
import secrets

from lms.certificates import keyring, settings, status
from lms.certificates.linked_data import OB_V3, VC_V2
from lms.certificates.models import Certificate
from lms.certificates.render import local_date, printable
from lms.certificates.signing import add_proof
from lms.core.models import utcnow

CONTEXT = [VC_V2, OB_V3]
MEDIA_TYPE = "application/vc+ld+json"


def _identity(certificate: Certificate) -> dict:
    """The holder's name as an IdentityObject: in clear when the deployment shows names on the
    verification page, else salted and hashed (the holder can prove it with name + salt)."""
    name = printable(certificate.printed_name)  # as the PDF prints it
    if settings.name_masking() == "none":
        return {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((name + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "identityType": "name", "hashed": True, "identityHash": f"sha256${digest}", "salt": salt}


def credential_id(certificate: Certificate) -> str:
    return f"{settings.public_base_url()}/certificates/{certificate.display_code}.json"


def unsigned_credential(certificate: Certificate, status_list: int, status_index: int) -> dict:
    """What the credential says, its texts as the PDF prints them (render.printable: NFC, no
    invisible or control characters). A correction keeps `id` and `awardedDate` and moves
    `validFrom` to the correction (Open Badges: the latest validFrom for an issuer and id is
    the current version)."""
    base = settings.public_base_url()
    title, course_title = printable(certificate.certificate_title), printable(certificate.course_title)
    key = keyring.current_public_key()
    course = certificate.course
    issued = local_date(certificate.issued_at).isoformat()
    valid_from = certificate.regenerated_at if certificate.revision > 1 and certificate.regenerated_at else certificate.issued_at
    list_url = status.list_url(status_list)
    return {
        "@context": CONTEXT,
        "id": credential_id(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": {
            "id": key.did,
            "type": ["Profile"],
            "name": printable(certificate.issuer_name),
            "url": f"{base}/",
        },
        "validFrom": status.iso(valid_from),
        "awardedDate": status.iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [_identity(certificate)],
            "achievement": {
                "id": f"{base}/courses/{course.slug}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": title,
                "description": f"Hoàn thành {course_title} trên nền tảng Học số cộng đồng.",
                "criteria": {
                    "narrative": "Học hết các bài học và đạt điểm yêu cầu ở bài kiểm tra của mọi học phần bắt buộc.",
                },
                "inLanguage": "vi",
            },
        },
        "credentialStatus": {
            "id": f"{list_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": list_url,
        },
        "evidence": [
            {
                "id": f"{base}/verify/{certificate.display_code}",
                "type": ["Evidence"],
                "name": f"Trang kiểm tra giấy chứng nhận {certificate.display_code} (cấp ngày {issued})",
            }
        ],
    }


def sign_credential(certificate: Certificate, status_list: int, status_index: int) -> dict:
    unsigned = unsigned_credential(certificate, status_list, status_index)
    return add_proof(unsigned, keyring.private_key(), created=status.iso(utcnow()))
