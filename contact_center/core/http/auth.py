"""Authentication of officials on HTTP: bearer token or session cookie, and one role check."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from pydantic import BaseModel, Field

from contact_center.core import auth
from contact_center.core.auth import Principal
from contact_center.core.http import idempotency
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.http.login_limits import throttled
from contact_center.core.http.principals import COOKIE, request_token
from contact_center.core.officials import Role

log = logging.getLogger(__name__)
routes = ApiRoutes()


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
