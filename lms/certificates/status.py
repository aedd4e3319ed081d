"""Revocation that verifiers can see: W3C Bitstring Status List v1.0.

Every credential gets a fixed bit in a list of LIST_SIZE bits (131,072: the 16 KiB minimum the
specification sets so that one list hides who is in it). The list number comes from the
credential's id, the bit from a keyed permutation of it (a small Feistel network with cycle
walking, keyed by the list's random seed), so neighbouring credentials land far apart and a
bit tells nothing about when a credential was issued. A bit is set when its credential is
revoked, superseded by a name correction, or erased with its holder's account.

Each list is a BitstringStatusListCredential (statusPurpose "revocation", encodedList = "u" +
base64url of the GZIP-compressed bits, bit 0 the leftmost of the first byte), signed with
eddsa-rdfc-2022 like the credentials, stored, served at /certificates/status/<n> and signed
again in the transaction that changes one of its bits (the list's row is locked first, so two
revocations at once cannot lose each other's bit).
"""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import secrets
from collections.abc import Iterable
from hashlib import sha256

from sqlalchemy import func, select

from lms.certificates import keyring, settings
from lms.certificates.linked_data import VC_V2
from lms.certificates.models import Credential, StatusList
from lms.certificates.signing import add_proof
from lms.core.db import insert_once
from lms.core.extensions import db
from lms.core.models import utcnow

LIST_SIZE = 131_072
_HALF_BITS = 9  # the permutation works on 18-bit numbers (2 x 9), walked down to 17 bits
_ROUNDS = 4


def iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def list_url(list_id: int) -> str:
    return f"{settings.public_base_url()}/certificates/status/{list_id}"


def list_of(credential_id: int) -> int:
    return (credential_id - 1) // LIST_SIZE + 1


def _round(seed: bytes, number: int, half: int) -> int:
    digest = hmac.new(seed, bytes([number]) + half.to_bytes(2, "big"), sha256).digest()
    return int.from_bytes(digest[:2], "big") & ((1 << _HALF_BITS) - 1)


def _feistel(value: int, seed: bytes) -> int:
    left, right = value >> _HALF_BITS, value & ((1 << _HALF_BITS) - 1)
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(seed, number, right)
    return (left << _HALF_BITS) | right


def index_of(credential_id: int, seed: str) -> int:
    """The credential's bit in its list: a permutation of the list's 131,072 bits."""
    key = bytes.fromhex(seed)
    value = _feistel((credential_id - 1) % LIST_SIZE, key)
    while value >= LIST_SIZE:  # cycle walking: the 18-bit permutation, restricted to 17 bits
        value = _feistel(value, key)
    return value


def encode(indices: Iterable[int]) -> str:
    bits = bytearray(LIST_SIZE // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> set[int]:
    """The set bits of an encodedList (used by tests and `flask lms cert-verify`)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u')")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return {i * 8 + b for i, byte in enumerate(bits) if byte for b in range(8) if byte & (0x80 >> b)}


def _document(list_id: int, indices: list[int]) -> str:
    key = keyring.current_public_key()
    url = list_url(list_id)
    now = iso(utcnow())
    unsigned = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.did,
        "validFrom": now,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(indices),
        },
    }
    return json.dumps(add_proof(unsigned, keyring.private_key(), created=now), ensure_ascii=False, indent=2)


def list_for(credential_id: int) -> StatusList:
    """The list the credential belongs to, created (with its seed and an all-clear signed
    document, so verifiers can fetch it from the first credential on) when it is the first."""
    list_id = list_of(credential_id)
    row = db.session.get(StatusList, list_id)
    if row is not None:
        return row
    fresh = StatusList(id=list_id, seed=secrets.token_hex(16), document=_document(list_id, []), revoked_count=0)
    made, _ = insert_once(fresh, lambda: db.session.get(StatusList, list_id))
    return made


def refresh(list_ids: Iterable[int]) -> None:
    """Sign again the lists whose bits changed in this transaction (flushes). The rows are
    locked in order first (PostgreSQL: SELECT … FOR UPDATE; SQLite writers are serialised)."""
    for list_id in sorted(set(list_ids)):
        row = db.session.scalar(
            select(StatusList).where(StatusList.id == list_id).with_for_update().execution_options(populate_existing=True)
        )
        if row is None:
            continue
        indices = [
            index
            for index in db.session.scalars(
                select(Credential.status_index).where(
                    Credential.status_list == list_id, Credential.revoked_at.is_not(None), Credential.status_index.is_not(None)
                )
            )
            if index is not None
        ]
        row.document = _document(list_id, indices)
        row.revoked_count = len(indices)
        row.updated_at = utcnow()
    db.session.flush()


def revoked_total() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(StatusList.revoked_count), 0))) or 0
