"""Issue 14, finding 6: an official's socket lives only as long as their token — logout, revocation,
deactivation and expiry end it, on this process and on the others sharing Redis."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from contact_center.core.clock import FakeClock
from contact_center.core.db.models import AuthToken, Official
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, seed_before_start
from tests.support.services import REDIS_URL

console = chat_clients.console
AGENT = "agente1@demo.pasto.gov.co"
SUPERVISOR = "supervisor@demo.pasto.gov.co"


async def _open(client: TestClient[Any, Any], namespace: str, token: str) -> Peer:
    peer = await Peer(namespace).connect(str(client.make_url("/")), {"token": token})
    assert (await peer.call("canned" if namespace == "/agents" else "refresh", {}))["ok"]
    return peer


async def _gone(peer: Peer, wait: float = 5) -> bool:
    """The server closed the connection (the client's `disconnect` event arrives)."""
    closed = asyncio.Event()
    peer.client.on("disconnect", closed.set, namespace=peer.namespace)
    if peer.client.connected:
        await asyncio.wait_for(closed.wait(), wait)
    return True


async def test_logout_closes_the_officials_open_sockets(backend: str, console: TestClient[Any, Any]) -> None:
    token = await login(console, AGENT)
    other_tab = await login(console, AGENT)  # another session of the same official stays open
    agents, kept = await _open(console, "/agents", token), await _open(console, "/agents", other_tab)
    sup_token = await login(console, SUPERVISOR)
    supervisors = await _open(console, "/supervisors", sup_token)

    out = await console.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status == 200
    assert (await agents.next("session.closed"))["code"] == "token_revoked"
    assert await _gone(agents)
    assert (await kept.call("tickets", {}))["ok"]

    out = await console.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {sup_token}"})
    assert out.status == 200 and await _gone(supervisors)


async def test_a_token_revoked_elsewhere_is_refused_on_the_next_event(
    backend: str, console: TestClient[Any, Any]
) -> None:
    """No logout message reached this process (revoked in the database, or the account disabled):
    the next event is refused and the connection ends."""
    token = await login(console, AGENT)
    peer = await _open(console, "/agents", token)
    async with console.app[UOW]() as uow:
        await uow.session.execute(update(AuthToken).values(revoked_at=uow.clock.now()))
        await uow.commit()
    for event, body in (("tickets", {}), ("presence", {"presence": "available"}), ("canned", {})):
        ack = await peer.call(event, body) if peer.client.connected else None
        if ack is not None:
            assert ack["error"]["code"] == "token_revoked", (event, ack)
    assert await _gone(peer)

    token = await login(console, SUPERVISOR)
    peer = await _open(console, "/supervisors", token)
    async with console.app[UOW]() as uow:
        await uow.session.execute(update(Official).where(Official.email == SUPERVISOR).values(active=False))
        await uow.commit()
    assert (await peer.call("refresh", {}))["error"]["code"] == "account_disabled"
    assert await _gone(peer)


async def test_an_expired_token_is_refused_on_the_next_event(
    backend: str, console: TestClient[Any, Any], clock: FakeClock
) -> None:
    peer = await _open(console, "/agents", await login(console, AGENT))
    clock.advance(hours=13)  # TOKEN_TTL_HOURS is 12
    assert (await peer.call("tickets", {}))["error"]["code"] == "token_expired"
    assert await _gone(peer)


async def test_logout_on_one_process_closes_the_socket_held_by_another(
    make_client: Any, make_settings: Any
) -> None:
    settings = make_settings(redis_url=REDIS_URL)
    await seed_before_start(settings)
    first, second = await make_client(settings), await make_client(settings)
    try:
        token = await login(first, AGENT)
        peer = await _open(second, "/agents", token)
        out = await first.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert out.status == 200
        assert (await peer.next("session.closed"))["code"] == "token_revoked"
        assert await _gone(peer)
    finally:
        await chat_clients.close_all()
