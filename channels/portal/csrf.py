"""CSRF protection of the portal's forms: a double-submit token bound to a cookie with an HMAC.

The browser keeps a random nonce in a cookie; every form carries HMAC(SECRET_KEY, nonce) in a
hidden field. A cross-site page can make the browser send the cookie but can neither read it nor
compute the HMAC, so its POST is refused before anything is read or changed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "pasto195_csrf"
FIELD = "csrf_token"
_NONCE = web.RequestKey("csrf_nonce", str)


def _sign(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"portal-csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def token_for(request: web.Request, secret: bytes) -> str:
    """The hidden-field value for this browser; a new nonce is made when it has none yet."""
    nonce = request.cookies.get(COOKIE, "")
    if not _well_formed(nonce):
        nonce = request.get(_NONCE) or secrets.token_urlsafe(32)
        request[_NONCE] = nonce
    return _sign(secret, nonce)


def set_cookie(request: web.Request, response: web.StreamResponse, *, secure: bool) -> None:
    """Send the nonce made by `token_for`, if this request made one."""
    nonce = request.get(_NONCE)
    if nonce:
        response.set_cookie(COOKIE, nonce, httponly=True, samesite="Strict", secure=secure, path="/portal")


def is_valid(request: web.Request, secret: bytes, submitted: str) -> bool:
    nonce = request.cookies.get(COOKIE, "")
    if not _well_formed(nonce) or not submitted:
        return False
    return hmac.compare_digest(_sign(secret, nonce), submitted)


def _well_formed(nonce: str) -> bool:
    return 32 <= len(nonce) <= 64 and nonce.isascii()
