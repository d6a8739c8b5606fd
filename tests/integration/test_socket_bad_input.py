"""Bad input on the sockets: an `error` event (and ack) or a refused connection, and nothing changed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import Conversation, Message, Official
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen
from tests.support.sockets import connect

console = chat_clients.console


async def _messages(client: TestClient[Any, Any]) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Message)) or 0)


@pytest.mark.parametrize(
    ("event", "data", "code"),
    [
        ("no_such_event", {}, "unknown_event"),
        ("send", {"body": "sin id"}, "validation_error"),  # missing field
        ("send", {"client_id": 5, "body": "hola"}, "validation_error"),  # wrong type
        ("send", {"client_id": "x", "body": "hola", "extra": 1}, "validation_error"),  # unknown field
        ("send", "texto suelto", "validation_error"),  # not an object
        ("send", {"client_id": "x y", "body": "hola"}, "validation_error"),  # bad characters in the id
        ("send", {"client_id": "x", "body": "a" * 4001}, "validation_error"),  # too long
        ("accept", {"offer_id": 1}, "unknown_event"),  # an agent event from a citizen connection
        ("start", {"consent": "true"}, "validation_error"),  # "true" is not a boolean
        ("start", {"consent": True}, "already_started"),
    ],
)
async def test_bad_chat_events_get_an_error_and_change_nothing(
    console: TestClient[Any, Any], event: str, data: Any, code: str
) -> None:
    peer, _ = await citizen(str(console.make_url("/")))
    before = await _messages(console)
    ack = await peer.call(event, data)
    assert ack["error"]["code"] == code
    assert (await peer.next("error"))["error"]["code"] == code
    assert await _messages(console) == before
    assert (await peer.call("send", {"client_id": "ok", "body": "sigo aquí"}))["ok"]  # still usable


async def test_a_message_before_starting_is_refused(console: TestClient[Any, Any]) -> None:
    peer = await Peer("/chat").connect(str(console.make_url("/")))
    assert (await peer.call("send", {"client_id": "a", "body": "hola"}))["error"]["code"] == "no_conversation"


async def test_a_one_megabyte_frame_closes_that_connection_only_and_stores_nothing(
    console: TestClient[Any, Any],
) -> None:
    url = str(console.make_url("/"))
    peer, _ = await citizen(url)
    bystander, _ = await citizen(url)
    disconnected = asyncio.Event()
    peer.client.on("disconnect", lambda *a: disconnected.set(), namespace="/chat")
    await peer.client.emit("send", {"client_id": "big", "body": "x" * 1_000_000}, namespace="/chat")
    await asyncio.wait_for(disconnected.wait(), 10)
    async with console.app[UOW]() as uow:
        assert await uow.session.scalar(select(Message).where(Message.client_id == "big")) is None
    assert (await bystander.call("send", {"client_id": "b", "body": "todo bien"}))["ok"]
    assert (await console.get("/health")).status == 200


async def test_agent_namespace_refuses_citizens_and_events_on_others_work(
    console: TestClient[Any, Any],
) -> None:
    url = str(console.make_url("/"))
    _, refused = await connect(url, "/agents", {"token": "not-a-token"})
    assert refused["code"] == "invalid_token"
    _, refused = await connect(
        url, "/supervisors", {"token": await login(console, "agente1@demo.pasto.gov.co")}
    )
    assert refused["code"] == "role_required"
    agent = await Peer("/agents").connect(url, {"token": await login(console, "agente1@demo.pasto.gov.co")})
    _, started = await citizen(url)
    async with console.app[UOW]() as uow:
        waiting = await uow.session.get(Conversation, started["conversation_id"])
        assert waiting is not None and waiting.official_id is None
    tries = [
        ("send", {"conversation_id": started["conversation_id"], "client_id": "z", "body": "hola"}),
        ("accept", {"offer_id": 999_999}),
        ("ticket_action", {"ticket_id": 1, "action": "close"}),
        ("presence", {"presence": "busy"}),
        ("leave_pqrd", {"subject": "x", "description": "y"}),  # a citizen event on /agents
    ]
    for event, data in tries:
        ack = await agent.call(event, data)
        assert "error" in ack, (event, ack)
    assert await _messages(console) == 0


async def test_a_supervisor_cannot_act_outside_their_dependencia(console: TestClient[Any, Any]) -> None:
    url = str(console.make_url("/"))
    sup = await Peer("/supervisors").connect(
        url, {"token": await login(console, "supervisor@demo.pasto.gov.co")}
    )
    await sup.next("dashboard")
    async with console.app[UOW]() as uow:
        health = await uow.session.scalar(
            select(Official).where(Official.email == "agente2@demo.pasto.gov.co")
        )
        assert health is not None
        health_id, before = health.id, health.presence
    ack = await sup.call("set_presence", {"official_id": health_id, "presence": "available"})
    assert ack["error"]["code"] == "other_dependencia"
    async with console.app[UOW]() as uow:
        again = await uow.session.get(Official, health_id)
        assert again is not None and again.presence == before
