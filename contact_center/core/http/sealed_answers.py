"""Secrets inside stored idempotent answers: sealed with the client's own key, never kept plain.

A filing's answer carries the citizen's access code, which a retry must get back (the first answer
may have been lost: that is what the retry is for). The record keeps it sealed: encrypted and
authenticated with a key derived from SECRET_KEY and the client's `Idempotency-Key`, and the
record's key column holds only a SHA-256 of that `Idempotency-Key`. A copy of the database alone
opens nothing; with SECRET_KEY as well one still needs each request's key, which only its client
has. Construction (standard library only): HMAC-SHA256 in counter mode as the keystream, then
HMAC-SHA256 over nonce and ciphertext as the tag (encrypt-then-MAC), separate derived keys.

Answers with a bearer token (log-ins) are not stored at all (`idempotency.not_stored`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

SEALED_FIELDS = frozenset({"access_code", "token"})
_PREFIX = "sealed:v1:"
_NONCE, _TAG = 16, 16


def stored_key(key: str) -> str:
    """What the record's key column holds instead of the client's `Idempotency-Key`."""
    return hashlib.sha256(key.encode()).hexdigest()


def seal_fields(value: Any, secret: bytes, scope: str, key: str) -> Any:
    """A copy of the JSON `value` with every string under a `SEALED_FIELDS` key sealed."""
    if isinstance(value, dict):
        return {
            k: _seal(v, secret, scope, key)
            if k in SEALED_FIELDS and isinstance(v, str)
            else seal_fields(v, secret, scope, key)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [seal_fields(v, secret, scope, key) for v in value]
    return value


def open_fields(value: Any, secret: bytes, scope: str, key: str) -> Any:
    """The inverse of `seal_fields`; a field that does not open (another key) becomes None."""
    if isinstance(value, dict):
        return {k: open_fields(v, secret, scope, key) for k, v in value.items()}
    if isinstance(value, list):
        return [open_fields(v, secret, scope, key) for v in value]
    if isinstance(value, str) and value.startswith(_PREFIX):
        return _open(value, secret, scope, key)
    return value


def _keys(secret: bytes, scope: str, key: str) -> tuple[bytes, bytes]:
    root = hmac.new(secret, f"idempotency-seal\0{scope}\0{key}".encode(), hashlib.sha256).digest()
    return (
        hmac.new(root, b"encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"authenticate", hashlib.sha256).digest(),
    )


def _stream(enc: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(enc, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(length // 32 + 1)
    )
    return b"".join(blocks)[:length]


def _seal(text: str, secret: bytes, scope: str, key: str) -> str:
    enc, mac = _keys(secret, scope, key)
    nonce, plain = os.urandom(_NONCE), text.encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, nonce + cipher, hashlib.sha256).digest()[:_TAG]
    return _PREFIX + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def _open(sealed: str, secret: bytes, scope: str, key: str) -> str | None:
    enc, mac = _keys(secret, scope, key)
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :])
    except ValueError:
        return None
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    if len(raw) < _NONCE + _TAG or not hmac.compare_digest(
        tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()[:_TAG]
    ):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)), strict=True))
    return plain.decode()
