"""Who is calling: an official's bearer token or session cookie, resolved once per request, and the
one role check every declared route goes through (`api.ApiRoutes` calls `require_principal`)."""

from __future__ import annotations

import logging

from aiohttp import web

from contact_center.core import auth
from contact_center.core.auth import Principal
from contact_center.core.errors import Forbidden, Unauthorized
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role, role_allows

log = logging.getLogger(__name__)
COOKIE = "pasto195_session"
_PRINCIPAL = web.RequestKey("principal", Principal)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_token(request: web.Request) -> tuple[str | None, bool]:
    """The presented token and whether it came from the cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), True


def _cross_site(request: web.Request) -> bool:
    # A cookie rides along on cross-site requests; unsafe methods must come from our own origin.
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") != f"{request.scheme}://{request.host}"


async def require_principal(request: web.Request, role: Role) -> Principal:
    principal = request.get(_PRINCIPAL) or await _authenticate(request)
    request[_PRINCIPAL] = principal
    if not role_allows(principal.role, role):
        log.warning("forbidden", extra={"official_id": principal.official_id, "path": request.path})
        raise Forbidden("Su rol no permite esta acción.", code="role_required", required=role.value)
    return principal


async def _authenticate(request: web.Request) -> Principal:
    token, from_cookie = request_token(request)
    if not token:
        raise Unauthorized("Debe iniciar sesión.", code="missing_token")
    if from_cookie and request.method not in _SAFE_METHODS and _cross_site(request):
        raise Forbidden("Origen no permitido.", code="cross_site_request")
    async with request.app[UOW]() as uow:
        return await auth.authenticate(uow, token)
