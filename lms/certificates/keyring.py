"""The deployment's signing key and the public keys it trusts (app-aware wrappers of signing.py)."""

from __future__ import annotations

from pathlib import Path

from lms.certificates import settings
from lms.certificates.signing import (
    PublicKey,
    SigningKeyMissing,
    generate_key_file,
    load_private_key,
    parse_public_key,
    public_key_of,
)


def ensure_signing_key() -> tuple[Path, bool]:
    """Create the private key if missing; (path, created). Called by `flask lms init` and `demo`."""
    path = settings.signing_key_path()
    return path, generate_key_file(path)


def private_key():
    return load_private_key(settings.signing_key_path())


def current_public_key() -> PublicKey:
    return public_key_of(private_key())


def trusted_keys() -> dict[str, PublicKey]:
    """kid -> key: the current key (when present) and any retired keys listed in the config."""
    keys: dict[str, PublicKey] = {}
    for text in settings.retired_public_keys():
        key = parse_public_key(text)
        keys[key.kid] = key
    try:
        current = current_public_key()
    except SigningKeyMissing:
        return keys
    keys[current.kid] = current
    return keys
