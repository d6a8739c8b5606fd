"""Officials log in; tokens expire and can be revoked; roles are checked on routes and sockets."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from tests.conftest import login
from tests.support.sockets import connect

SUPERVISOR = "supervisor@demo.pasto.gov.co"
AGENT = "agente1@demo.pasto.gov.co"


async def test_demo_officials_log_in_and_get_token_role_and_cookie(
    seeded: TestClient[Any, Any],
) -> None:
    resp = await seeded.post("/api/v1/auth/login", json={"email": SUPERVISOR, "password": "demo-195"})
    assert resp.status == 200
    body = await resp.json()
    assert body["official"]["role"] == "supervisor" and body["official"]["name"]
    assert len(body["token"]) >= 32
    assert resp.cookies["pasto195_session"].value == body["token"]
    me = await seeded.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert (await me.json())["role"] == "supervisor"


async def test_wrong_password_is_401_and_logged_without_the_password(
    seeded: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    resp = await seeded.post("/api/v1/auth/login", json={"email": AGENT, "password": "guess-123"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_credentials"
    failed = [r for r in caplog.records if r.getMessage() == "login_failed"]
    assert failed and failed[0].__dict__["email"] == AGENT
    assert all("guess-123" not in (r.getMessage() + str(r.__dict__)) for r in caplog.records)


async def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    seeded: TestClient[Any, Any],
) -> None:
    resp = await seeded.post("/api/v1/auth/login", json={"email": "nadie@x.co", "password": "demo-195"})
    assert resp.status == 401
    assert (await resp.json())["error"] == {
        "code": "invalid_credentials",
        "message": "Correo o contraseña incorrectos.",
    }


async def test_missing_and_garbage_tokens_are_401(seeded: TestClient[Any, Any]) -> None:
    assert (await (await seeded.get("/api/v1/auth/me")).json())["error"]["code"] == "missing_token"
    resp = await seeded.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "invalid_token"


async def test_expired_token_is_401_token_expired(seeded: TestClient[Any, Any], clock: FakeClock) -> None:
    token = await login(seeded, AGENT)
    clock.advance(hours=13)
    resp = await seeded.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "token_expired"


async def test_logout_revokes_the_token(seeded: TestClient[Any, Any]) -> None:
    token = await login(seeded, AGENT)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await seeded.post("/api/v1/auth/logout", headers=headers)).status == 200
    resp = await seeded.get("/api/v1/auth/me", headers=headers)
    assert (await resp.json())["error"]["code"] == "token_revoked"


async def test_cookie_auth_refuses_cross_site_unsafe_requests(seeded: TestClient[Any, Any]) -> None:
    await login(seeded, AGENT)  # sets the cookie on the client
    resp = await seeded.post("/api/v1/auth/logout", headers={"Origin": "https://evil.example"})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "cross_site_request"


async def test_supervisor_socket_namespace_accepts_supervisor_and_refuses_agent(
    seeded: TestClient[Any, Any],
) -> None:
    url = str(seeded.make_url("/"))
    sup, refused = await connect(url, "/supervisors", {"token": await login(seeded, SUPERVISOR)})
    assert refused is None and sup.connected
    await sup.disconnect()
    _, refused = await connect(url, "/supervisors", {"token": await login(seeded, AGENT)})
    assert refused["code"] == "role_required"


async def test_agents_namespace_refuses_missing_and_bad_tokens(
    seeded: TestClient[Any, Any],
) -> None:
    url = str(seeded.make_url("/"))
    expected = {None: "missing_token", "bad": "invalid_token", 5: "missing_token"}
    for token, code in expected.items():
        _, refused = await connect(url, "/agents", {"token": token} if token is not None else None)
        assert refused["code"] == code


async def test_a_role_too_low_gets_403_role_required_on_a_supervisor_route(
    seeded: TestClient[Any, Any],
) -> None:
    agent = {"Authorization": f"Bearer {await login(seeded, AGENT)}"}
    resp = await seeded.get("/api/v1/officials", headers=agent)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "role_required"
    sup = {"Authorization": f"Bearer {await login(seeded, SUPERVISOR)}"}
    listed = await (await seeded.get("/api/v1/officials", headers=sup)).json()
    assert {"agente1@demo.pasto.gov.co", SUPERVISOR} <= {o["email"] for o in listed["officials"]}
