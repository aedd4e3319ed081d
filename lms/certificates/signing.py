"""Ed25519 keys and the two signed forms of a certificate.

1. The QR payload, checked offline by `flask lms cert-verify` and by the static page
   /verify/offline: UTF-8 JSON with one-letter keys, base64url, then "." and the base64url
   Ed25519 signature of DOMAIN + payload bytes. The QR text is the verification URL with this
   in its fragment (never sent to a server): https://host/verify/7KQ2-M9XD-3FTA#<payload>.<sig>
2. Open Badges 3.0 credentials and status lists, with a W3C Data Integrity proof, cryptosuite
   eddsa-rdfc-2022 (RDF Dataset Canonicalization RDFC-1.0, linked_data.py), signed by the
   issuer's did:key.

The private key is a PKCS#8 PEM file outside the repository (settings.signing_key_path()),
created once by `flask lms init`. The key id ("kid") is the first 8 characters of the
base64url SHA-256 of the raw public key, so old keys can stay trusted after a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.certificates.linked_data import canonize

DOMAIN = b"hoc-so-cong-dong/certificate/v1\x00"
PAYLOAD_VERSION = 1
_ED25519_MULTICODEC = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class SigningKeyMissing(RuntimeError):
    """No private key file: run `flask lms init` (or `flask lms cert-keygen`)."""


class BadSignature(ValueError):
    """A payload or credential that does not verify; the message says why, in Vietnamese."""


# --- encodings ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    if not text or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for ch in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for ch in text:
        index = _B58.find(ch)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\0" * leading + body


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def kid(self) -> str:
        return key_id(self.raw)

    @property
    def multibase(self) -> str:
        return "z" + base58btc(_ED25519_MULTICODEC + self.raw)

    @property
    def did(self) -> str:
        return "did:key:" + self.multibase

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.multibase}"

    @property
    def pem(self) -> str:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def key_id(raw_public: bytes) -> str:
    return b64url(hashlib.sha256(raw_public).digest())[:8]


def generate_key_file(path: Path) -> bool:
    """Create the private key file if it does not exist (mode 0600). True when created.

    O_EXCL makes two processes that start at once agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return True


_private_cache: dict[tuple[str, float], Ed25519PrivateKey] = {}


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        raise SigningKeyMissing(
            f"Chưa có khóa ký chứng nhận ({path}). Quản trị viên hãy chạy: flask lms init (hoặc flask lms cert-keygen)."
        ) from None
    cached = _private_cache.get((str(path), stamp))
    if cached is not None:
        return cached
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyMissing(f"Tệp {path} không phải khóa Ed25519.")
    _private_cache.clear()
    _private_cache[(str(path), stamp)] = key
    return key


def public_key_of(private: Ed25519PrivateKey) -> PublicKey:
    return PublicKey(private.public_key())


def parse_public_key(text: str) -> PublicKey:
    """A public key given as PEM, base64url/base64 (32 bytes), hex, or a did:key / multibase."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        return PublicKey(key)
    if text.startswith("did:key:"):
        text = text[len("did:key:") :].split("#", 1)[0]
    raw: bytes | None = None
    if text.startswith("z"):
        decoded = base58btc_decode(text[1:])
        if decoded[:2] == _ED25519_MULTICODEC and len(decoded) == 34:
            raw = decoded[2:]
    if raw is None and len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = b64url_decode(text.replace("+", "-").replace("/", "_").rstrip("="))
        except (ValueError, binascii.Error):
            raw = None
    if raw is None or len(raw) != 32:
        raise ValueError("không đọc được khóa công khai Ed25519")
    return PublicKey(Ed25519PublicKey.from_public_bytes(raw))


# --- QR payload --------------------------------------------------------------------------------


def payload_fields(*, kid: str, code: str, name: str, course: str, issued_on: str, issuer: str, revision: int) -> dict:
    return {"v": PAYLOAD_VERSION, "k": kid, "c": code, "n": name, "co": course, "d": issued_on, "i": issuer, "r": revision}


def sign_payload(private: Ed25519PrivateKey, fields: dict) -> str:
    """`<base64url payload>.<base64url signature>`, the QR fragment."""
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return f"{b64url(payload)}.{b64url(private.sign(DOMAIN + payload))}"


def split_qr_text(text: str) -> str:
    """The signed part of whatever was scanned: a full URL with a fragment, or the part alone."""
    text = (text or "").strip()
    if "#" in text:
        text = text.rsplit("#", 1)[1]
    return text


def verify_payload(text: str, keys: dict[str, PublicKey]) -> dict:
    """The signed fields if the signature checks with a trusted key, else BadSignature."""
    signed = split_qr_text(text)
    parts = signed.split(".")
    if len(parts) != 2 or "/" in signed:
        raise BadSignature("Không tìm thấy dữ liệu ký trong nội dung mã QR (cần phần sau dấu #).")
    try:
        payload, signature = b64url_decode(parts[0]), b64url_decode(parts[1])
        fields = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadSignature("Dữ liệu trong mã QR bị hỏng hoặc không đúng định dạng.") from None
    if not isinstance(fields, dict) or fields.get("v") != PAYLOAD_VERSION:
        raise BadSignature("Dữ liệu trong mã QR không phải chứng nhận Học số cộng đồng (phiên bản không đúng).")
    key = keys.get(str(fields.get("k")))
    if key is None:
        raise BadSignature("Chứng nhận được ký bằng một khóa không có trong danh sách khóa tin cậy.")
    if len(signature) != 64 or not key.verify(signature, DOMAIN + payload):
        raise BadSignature("Chữ ký số KHÔNG khớp: nội dung đã bị sửa hoặc không do đơn vị này cấp.")
    return fields


# --- Data Integrity proof (eddsa-rdfc-2022) ----------------------------------------------------

SUITE = "eddsa-rdfc-2022"


def _hash_data(unsigned: dict, proof_config: dict) -> bytes:
    """SHA-256 of the canonical proof configuration (with the document's @context), then
    SHA-256 of the canonical document without its proof: 64 bytes, what Ed25519 signs."""
    config = {k: v for k, v in proof_config.items() if k != "proofValue"}
    config["@context"] = unsigned["@context"]
    return hashlib.sha256(canonize(config).encode("utf-8")).digest() + hashlib.sha256(canonize(unsigned).encode("utf-8")).digest()


def add_proof(document: dict, private: Ed25519PrivateKey, created: str) -> dict:
    """A copy of `document` whose `proof` is a list of one DataIntegrityProof (eddsa-rdfc-2022)
    by the key's did:key."""
    public = public_key_of(private)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": SUITE,
        "created": created,
        "verificationMethod": public.verification_method,
        "proofPurpose": "assertionMethod",
    }
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    signature = private.sign(_hash_data(unsigned, proof))
    return {**unsigned, "proof": [{**proof, "proofValue": "z" + base58btc(signature)}]}


def verify_proof(document: dict, keys: dict[str, PublicKey] | None = None) -> PublicKey:
    """Check the eddsa-rdfc-2022 proof; the key comes from the did:key verification method and,
    when `keys` is given, must be one of them. Returns the key, else BadSignature."""
    proofs = document.get("proof") if isinstance(document, dict) else None
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs or not all(isinstance(p, dict) for p in proofs):
        raise BadSignature("Tài liệu không có chữ ký (proof).")
    ours = [p for p in proofs if p.get("type") == "DataIntegrityProof" and p.get("cryptosuite") == SUITE]
    if len(ours) != 1:
        raise BadSignature("Chữ ký không theo định dạng DataIntegrityProof eddsa-rdfc-2022.")
    proof = ours[0]
    if not isinstance(document.get("@context"), list):
        raise BadSignature("Tài liệu không có @context.")
    method = str(proof.get("verificationMethod", ""))
    value = str(proof.get("proofValue", ""))
    try:
        key = parse_public_key(method)
        signature = base58btc_decode(value[1:])
    except ValueError:
        raise BadSignature("Không đọc được khóa hoặc chữ ký trong proof.") from None
    if keys is not None and key.kid not in keys:
        raise BadSignature("Chứng nhận được ký bằng một khóa không có trong danh sách khóa tin cậy.")
    if not value.startswith("z") or len(signature) != 64 or proof.get("proofPurpose") != "assertionMethod":
        raise BadSignature("Chữ ký trong proof không đúng định dạng.")
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    try:
        message = _hash_data(unsigned, proof)
    except ValueError:
        raise BadSignature("Tài liệu không chuẩn hóa được (RDFC-1.0): ngữ cảnh lạ hoặc dữ liệu không hợp lệ.") from None
    if not key.verify(signature, message):
        raise BadSignature("Chữ ký số KHÔNG khớp: nội dung đã bị sửa.")
    return key
