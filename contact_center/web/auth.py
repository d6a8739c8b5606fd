"""Authentication of officials on HTTP: bearer token or session cookie, and one role check."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, Field

from contact_center.domain.errors import Forbidden, Unauthorized
from contact_center.domain.officials import Role, role_allows
from contact_center.services import auth
from contact_center.services.auth import Principal
from contact_center.web import idempotency
from contact_center.web.api import ApiRoutes
from contact_center.web.keys import SETTINGS, UOW
from contact_center.web.login_limits import throttled

log = logging.getLogger(__name__)
routes = ApiRoutes()
COOKIE = "pasto195_session"
_PRINCIPAL = web.RequestKey("principal", Principal)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class OfficialOut(BaseModel):
    id: int
    name: str
    role: Role


class LoginOut(BaseModel):
    token: str
    official: OfficialOut


class LogoutOut(BaseModel):
    status: str


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


@routes.post(
    "/api/v1/auth/login",
    body=LoginIn,
    responses={200: LoginOut, 401: None, 429: None},
    tags=["auth"],
    summary="Log an official in; returns a bearer token and sets the session cookie; "
    "limited per e-mail and client address (429 rate_limited with Retry-After); Idempotency-Key is ignored",
)
@idempotency.not_stored
async def login(request: web.Request, body: LoginIn) -> web.Response:
    settings = request.app[SETTINGS]

    async def attempt() -> auth.Session:
        async with request.app[UOW]() as uow:
            ttl = timedelta(hours=settings.token_ttl_hours)
            return await auth.login(uow, body.email, body.password, ttl)

    session = await throttled(request, "official", body.email, attempt)
    p = session.principal
    out = LoginOut(token=session.token, official=OfficialOut(id=p.official_id, name=p.name, role=p.role))
    response = web.json_response(out.model_dump(mode="json"))
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(session.ttl.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.base_url.startswith("https://"),
        path="/",
    )
    return response


@routes.post(
    "/api/v1/auth/logout",
    responses={200: LogoutOut},
    role=Role.AGENT,
    tags=["auth"],
    summary="Revoke the presented token",
)
async def logout(request: web.Request, principal: Principal) -> web.Response:
    token, _ = request_token(request)
    assert token is not None  # require_principal accepted it
    async with request.app[UOW]() as uow:
        await auth.revoke(uow, token)
    response = web.json_response(LogoutOut(status="logged_out").model_dump())
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get(
    "/api/v1/auth/me",
    responses={200: OfficialOut},
    role=Role.AGENT,
    tags=["auth"],
    summary="The official behind the presented token",
)
async def me(request: web.Request, principal: Principal) -> web.Response:
    out = OfficialOut(id=principal.official_id, name=principal.name, role=principal.role)
    return web.json_response(out.model_dump(mode="json"))
