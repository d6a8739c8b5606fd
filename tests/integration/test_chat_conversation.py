"""Citizens chat without an account: start with consent, messages stored before the ack, resume."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import Conversation, DataConsent, Message
from contact_center.core.http.keys import UOW
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen

console = chat_clients.console


async def _count(client: TestClient[Any, Any], model: Any, *where: Any) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_start_records_consent_and_queues_a_chat_conversation(
    backend: str, console: TestClient[Any, Any]
) -> None:
    peer, ack = await citizen(str(console.make_url("/")), name="Ana Pérez", topic="hacienda")
    assert ack["state"] == "queued" and ack["queue"] == "hacienda" and "." in ack["token"]
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, ack["conversation_id"])
        assert conversation is not None and conversation.channel == "chat" and conversation.state == "queued"
        consent = await uow.session.scalar(
            select(DataConsent).where(DataConsent.citizen_id == conversation.citizen_id)
        )
        assert consent is not None and consent.channel == "chat"
    await peer.close()


async def test_without_consent_nothing_is_created(backend: str, console: TestClient[Any, Any]) -> None:
    peer = await Peer("/chat").connect(str(console.make_url("/")))
    ack = await peer.call("start", {"consent": False})
    assert ack["error"]["code"] == "consent_required"
    assert (await peer.next("error"))["error"]["code"] == "consent_required"
    assert await _count(console, Conversation) == 0
    await peer.close()


async def test_message_is_stored_before_the_ack_and_a_retry_is_not_duplicated(
    backend: str, console: TestClient[Any, Any]
) -> None:
    url = str(console.make_url("/"))
    peer, started = await citizen(url)
    other_tab = await Peer("/chat").connect(url)
    assert (await other_tab.call("resume", {"token": started["token"]}))["ok"]
    first = await peer.call("send", {"client_id": "m-1", "body": "Hola, ¿cómo pago el predial?"})
    assert first["ok"] and not first["duplicate"]
    assert first["message"]["body"] == "Hola, ¿cómo pago el predial?"  # the ack carries the message
    assert await _count(console, Message, Message.client_id == "m-1") == 1  # stored when acknowledged
    again = await peer.call("send", {"client_id": "m-1", "body": "Hola, ¿cómo pago el predial?"})
    assert again["duplicate"] and again["message"]["id"] == first["message"]["id"]
    assert await _count(console, Message, Message.sender == "citizen") == 1
    shown = await other_tab.next("message")  # the citizen's other tab shows it too
    assert shown["client_id"] == "m-1" and shown["id"] == first["message"]["id"]
    assert peer.drain("message") == []  # the sender has it in its ack: no echo frame
    assert other_tab.drain("message") == []  # once, not again for the retry
    await peer.close()
    await other_tab.close()


async def test_a_new_connection_resumes_the_conversation_with_its_transcript(
    backend: str, console: TestClient[Any, Any]
) -> None:
    url = str(console.make_url("/"))
    peer, started = await citizen(url)
    await peer.call("send", {"client_id": "a", "body": "<b>uno</b>"})
    await peer.close()  # a reload or a network drop
    again = await Peer("/chat").connect(url)
    resumed = await again.call("resume", {"token": started["token"]})
    assert resumed["conversation_id"] == started["conversation_id"] and resumed["state"] == "queued"
    assert [m["body"] for m in resumed["messages"]] == ["<b>uno</b>"]  # stored as typed, escaped where shown
    sent = await again.call("send", {"client_id": "b", "body": "dos"})
    assert sent["ok"]
    forged = await (await Peer("/chat").connect(url)).call("resume", {"token": started["token"][:-2] + "xx"})
    assert forged["error"]["code"] == "invalid_chat_token"
    await again.close()


async def test_leave_a_pqrd_when_nobody_answers_gives_the_radicado_in_the_chat(
    backend: str, console: TestClient[Any, Any]
) -> None:
    peer, started = await citizen(str(console.make_url("/")))
    ack = await peer.call(
        "leave_pqrd",
        {"type": "peticion", "subject": "Paz y salvo", "description": "Necesito el paz y salvo."},
    )
    assert ack.get("ok"), ack
    assert ack["radicado"] and len(ack["access_code"]) == 8
    pushed = await peer.next("chat.pqrd")
    assert pushed["radicado"] == ack["radicado"]
    system = await peer.next("message", where=lambda m: m["sender"] == "system")
    assert ack["radicado"] in system["body"] and ack["access_code"] not in system["body"]
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        assert (
            conversation is not None and conversation.ticket_id is not None and conversation.state == "closed"
        )
    again = await peer.call("leave_pqrd", {"subject": "Otra", "description": "Otra vez"})
    assert again["error"]["code"] == "already_filed"
    await peer.close()


async def test_ending_a_waiting_chat_abandons_it(backend: str, console: TestClient[Any, Any]) -> None:
    peer, _ = await citizen(str(console.make_url("/")))
    assert (await peer.call("end", {}))["state"] == "abandoned"
    refused = await peer.call("send", {"client_id": "late", "body": "¿sigue ahí?"})
    assert refused["error"]["code"] == "conversation_closed"
    await peer.close()
