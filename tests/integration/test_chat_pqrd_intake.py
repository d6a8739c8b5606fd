"""A PQRD from the chat goes through the intake service: the chat's citizen, the conversation link,
the acuse by e-mail when asked for; a converted PQRD is the converting official's, in process; and
completing a chat from the console without the work item's id still starts the router's wrap-up."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import Conversation, Official, Ticket, TicketEvent
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from tests.integration.test_agents_console import AGENT, attended_chat
from tests.support import chat_clients
from tests.support.chat_clients import citizen

console = chat_clients.console
PQRD = {"type": "peticion", "subject": "Paz y salvo", "description": "Necesito el paz y salvo predial."}


async def counts(client: TestClient[Any, Any]) -> tuple[int, int]:
    async with client.app[UOW]() as uow:
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
        mails = await uow.session.scalar(select(func.count()).select_from(OutboundMessage))
    return int(tickets or 0), int(mails or 0)


async def test_left_pqrd_is_the_chat_citizens_and_the_acuse_is_queued_by_email(
    backend: str, console: TestClient[Any, Any]
) -> None:
    peer, started = await citizen(str(console.make_url("/")), name="Lucía")
    ack = await peer.call("leave_pqrd", {**PQRD, "email": "Lucia.Ortiz@Example.co", "notify_by_email": True})
    assert ack.get("ok"), ack
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == ack["radicado"]))
        assert conversation is not None and ticket is not None
        assert ticket.citizen_id == conversation.citizen_id and conversation.ticket_id == ticket.id
        assert ticket.channel == "chat" and ticket.notify_by_email
        mail = await uow.session.scalar(select(OutboundMessage).where(OutboundMessage.ticket_id == ticket.id))
        assert mail is not None and mail.to == "lucia.ortiz@example.co" and mail.channel == "email"
        assert ack["radicado"] in mail.subject and ack["access_code"] not in mail.body


async def test_without_an_email_no_acuse_is_queued(backend: str, console: TestClient[Any, Any]) -> None:
    peer, _ = await citizen(str(console.make_url("/")))
    before = await counts(console)
    ack = await peer.call("leave_pqrd", PQRD)
    assert ack.get("ok"), ack
    assert await counts(console) == (before[0] + 1, before[1])


async def test_bad_contact_data_is_refused_and_changes_nothing(
    backend: str, console: TestClient[Any, Any]
) -> None:
    peer, started = await citizen(str(console.make_url("/")))
    before = await counts(console)
    bad = await peer.call("leave_pqrd", {**PQRD, "email": "no-es-correo", "notify_by_email": True})
    assert bad["error"]["code"] == "invalid_email", bad
    missing = await peer.call("leave_pqrd", {**PQRD, "notify_by_email": True})
    assert missing["error"]["code"] == "email_required", missing
    assert await counts(console) == before
    async with console.app[UOW]() as uow:
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        assert conversation is not None and conversation.ticket_id is None and conversation.state == "queued"


async def test_converted_pqrd_is_assigned_to_the_official_and_in_process(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official, _, started, _ = await attended_chat(console)
    filed = await official.call(
        "convert_pqrd", {"conversation_id": started["conversation_id"], **PQRD, "type": "queja"}
    )
    assert filed["ok"], filed
    async with console.app[UOW]() as uow:
        agent_id = await uow.session.scalar(select(Official.id).where(Official.email == AGENT))
        ticket = await uow.session.get(Ticket, filed["ticket_id"])
        conversation = await uow.session.get(Conversation, started["conversation_id"])
        assert ticket is not None and conversation is not None
        assert ticket.assignee_id == agent_id and ticket.status == "en_tramite"
        assert ticket.citizen_id == conversation.citizen_id
        events = (
            await uow.session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)
            )
        ).all()
        moves = [(e.to_status, e.actor_kind, e.actor_id) for e in events[1:] if e.to_status]
    assert moves == [("asignado", "official", agent_id), ("en_tramite", "official", agent_id)]
    mine = await official.call("tickets", {})
    assert filed["ticket_id"] in [t["id"] for t in mine["tickets"]]


async def test_completing_without_the_work_item_id_starts_the_wrap_up(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official, person, started, accepted = await attended_chat(console)
    done = await official.call(
        "complete", {"conversation_id": started["conversation_id"], "wrap_up_code": "informacion"}
    )
    assert done["ok"], done
    assert (await person.next("chat.ended"))["by"] == "official"
    async with console.app[UOW]() as uow:
        item = await uow.session.get(WorkItem, accepted["work_item_id"])
        agent = await uow.session.scalar(select(Official).where(Official.email == AGENT))
        assert item is not None and agent is not None
        assert item.status == "completed" and item.wrap_up_code == "informacion"
        assert agent.wrap_up_until is not None and agent.wrap_up_until > uow.clock.now()
