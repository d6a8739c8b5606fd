"""The agent console over /agents: presence, offers, accept, chat both ways, notes, PQRD conversion."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Conversation, Message, Ticket
from contact_center.core.http.keys import UOW
from tests.conftest import login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen

console = chat_clients.console
AGENT = "agente1@demo.pasto.gov.co"


async def agent(client: TestClient[Any, Any], email: str = AGENT) -> Peer:
    peer = await Peer("/agents").connect(str(client.make_url("/")), {"token": await login(client, email)})
    ready = await peer.next("console.ready")
    assert ready["official"]["name"]
    return peer


async def attended_chat(client: TestClient[Any, Any]) -> tuple[Peer, Peer, dict[str, Any], dict[str, Any]]:
    """agente1 available, a citizen starts a chat, the offer arrives and is accepted."""
    official = await agent(client)
    ack = await official.call("presence", {"presence": "available"})
    assert ack["ok"], ack
    person, started = await citizen(str(client.make_url("/")), name="Ana", topic="atencion_general")
    offer = await official.next("offer", wait=10)
    assert offer["conversation_id"] == started["conversation_id"] and offer["channel"] == "chat"
    accepted = await official.call("accept", {"offer_id": offer["offer_id"]})
    assert accepted["ok"], accepted
    return official, person, started, accepted


async def test_offer_accept_and_messages_both_ways(backend: str, console: TestClient[Any, Any]) -> None:
    official, person, started, accepted = await attended_chat(console)
    conversation_id = started["conversation_id"]
    assert accepted["conversation"]["state"] == "active"
    assert accepted["history"]["citizen"]["name"] == "Ana"
    joined = await person.next("chat.joined")
    assert joined["official_name"] == "Andrés Rosero"

    await person.call("send", {"client_id": "c1", "body": "¿Cómo saco el paz y salvo?"})
    got = await official.next("message", where=lambda m: m["sender"] == "citizen")
    assert got["body"] == "¿Cómo saco el paz y salvo?" and got["conversation_id"] == conversation_id

    reply = await official.call(
        "send", {"conversation_id": conversation_id, "client_id": "o1", "body": "Con gusto."}
    )
    assert reply["ok"]
    seen = await person.next("message", where=lambda m: m["sender"] == "official")
    assert seen["body"] == "Con gusto." and seen["author"] == "Andrés Rosero"

    note = await official.call(
        "send",
        {
            "conversation_id": conversation_id,
            "client_id": "n1",
            "body": "Ciudadana frecuente",
            "internal": True,
        },
    )
    assert note["ok"] and note["message"]["internal"]
    resumed = await (await Peer("/chat").connect(str(console.make_url("/")))).call(
        "resume", {"token": started["token"]}
    )
    assert "Ciudadana frecuente" not in [m["body"] for m in resumed["messages"]]  # notes stay internal

    await person.call("typing", {"typing": True})
    assert (await official.next("typing"))["sender"] == "citizen"


async def test_official_converts_the_chat_into_a_pqrd_and_the_citizen_sees_the_radicado(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official, person, started, accepted = await attended_chat(console)
    conversation_id = started["conversation_id"]
    filed = await official.call(
        "convert_pqrd",
        {
            "conversation_id": conversation_id,
            "type": "queja",
            "subject": "Mala atención",
            "description": "En la ventanilla.",
        },
    )
    assert filed["ok"], filed
    shown = await person.next("chat.pqrd")
    assert shown["radicado"] == filed["radicado"] and shown["access_code"]
    async with console.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == filed["radicado"]))
        assert ticket is not None and ticket.channel == "chat"
        conversation = await uow.session.get(Conversation, conversation_id)
        assert (
            conversation is not None
            and conversation.ticket_id == ticket.id
            and conversation.state == "active"
        )

    done = await official.call(
        "complete",
        {
            "conversation_id": conversation_id,
            "work_item_id": accepted["work_item_id"],
            "wrap_up_code": "pqrd_radicada",
        },
    )
    assert done["ok"], done
    assert (await person.next("chat.ended"))["by"] == "official"


async def test_an_official_cannot_touch_another_officials_conversation(
    backend: str, console: TestClient[Any, Any]
) -> None:
    _, _, started, _ = await attended_chat(console)
    other = await agent(console, "agente3@demo.pasto.gov.co")
    refused = await other.call(
        "send", {"conversation_id": started["conversation_id"], "client_id": "x", "body": "hola"}
    )
    assert refused["error"]["code"] == "not_found"
    assert (await other.call("open", {"conversation_id": started["conversation_id"]}))["error"]["code"] == (
        "not_found"
    )
    async with console.app[UOW]() as uow:
        assert await uow.session.scalar(select(Message).where(Message.client_id == "x")) is None


async def test_canned_answers_are_searchable_by_shortcut_and_words(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official = await agent(console)
    by_shortcut = await official.call("canned", {"query": "/saludo"})
    assert [a["shortcut"] for a in by_shortcut["answers"]] == ["/saludo"]
    by_word = await official.call("canned", {"query": "sisben"})
    assert "/sisben" in [a["shortcut"] for a in by_word["answers"]]


async def test_away_needs_a_reason_and_presence_is_echoed(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official = await agent(console)
    assert (await official.call("presence", {"presence": "away"}))["error"]["code"] == "reason_required"
    ack = await official.call("presence", {"presence": "away", "reason": "Almuerzo"})
    assert ack["ok"]
    pushed = await official.next("presence")
    assert pushed["presence"] == "away" and pushed["reason"] == "Almuerzo"
