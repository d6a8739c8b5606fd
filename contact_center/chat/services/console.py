"""What the agent console reads and does beyond the chat itself: authorization on conversations and
tickets, the citizen's whole history across channels, the official's PQRDs with their legal clock,
and the PQRD lifecycle operations (each one through the ticket service, each one recorded)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from contact_center.citizens.services import identities
from contact_center.citizens.services import merge as citizen_merge
from contact_center.core.auth import Principal
from contact_center.core.db.models import Citizen, Conversation, Ticket
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.errors import InvalidInput
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.domain.legal_clock import ClockState, LegalClock
from contact_center.pqrd.domain.tickets import OPEN_STATUSES, STATUS_LABELS, TicketStatus
from contact_center.pqrd.services import actions, tickets
from contact_center.pqrd.services.tickets import Actor

TicketAction = Literal[
    "start", "answer", "request_completion", "record_completion", "extend", "forward", "close"
]


async def own_conversation(uow: UnitOfWork, conversation_id: int, principal: Principal) -> Conversation:
    """The conversation if this official may reach it (`contact_center.pqrd.access`)."""
    return await access.conversation(uow, principal, conversation_id)


async def live_work_item(uow: UnitOfWork, conversation_id: int, principal: Principal) -> int | None:
    """The conversation's work item this official holds in the router, if any (so completing a chat
    from the console starts the wrap-up even when the page did not send the work item's id)."""
    work_item_id: int | None = await uow.session.scalar(
        select(WorkItem.id).where(
            WorkItem.conversation_id == conversation_id,
            WorkItem.official_id == principal.official_id,
            WorkItem.status == "assigned",
        )
    )
    return work_item_id


async def own_ticket(uow: UnitOfWork, ticket_id: int, principal: Principal) -> Ticket:
    """The ticket, locked, if in this official's scope (`contact_center.pqrd.access`)."""
    return await access.ticket(uow, principal, ticket_id=ticket_id, lock=True)


def days_left(clock: LegalClock, ticket: Ticket, now: Any) -> int | None:
    snapshot = tickets.ticket_clock(clock, ticket).snapshot(tickets.clock_facts(ticket), now)
    return None if snapshot.state is ClockState.SUSPENDED else snapshot.days_left


def urgency(left: int | None) -> str:
    """The colour band of the legal clock: overdue, due today, ≤ 2 days, on time, suspended."""
    if left is None:
        return "suspended"
    if left < 0:
        return "overdue"
    if left == 0:
        return "today"
    return "soon" if left <= 2 else "ok"


def ticket_summary(ticket: Ticket, left: int | None) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "radicado": ticket.radicado,
        "type": ticket.pqrd_type,
        "subject": ticket.subject,
        "status": ticket.status,
        "status_label": STATUS_LABELS[TicketStatus(ticket.status)],
        "channel": ticket.channel,
        "due_date": ticket.due_date.isoformat(),
        "days_left": left,
        "urgency": urgency(left) if TicketStatus(ticket.status) in OPEN_STATUSES else "done",
    }


async def my_tickets(uow: UnitOfWork, official_id: int) -> list[dict[str, Any]]:
    """The official's open PQRDs, most urgent first."""
    rows = (
        await uow.session.scalars(
            select(Ticket)
            .where(Ticket.assignee_id == official_id, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(Ticket.due_date)
            .limit(200)
        )
    ).all()
    clock = await tickets.load_clock(uow)
    now = uow.clock.now()
    return [ticket_summary(t, days_left(clock, t, now)) for t in rows]


async def citizen_history(uow: UnitOfWork, citizen_id: int | None, viewer: Principal) -> dict[str, Any]:
    """The citizen's conversations on every channel and their PQRDs, newest first: those of the
    surviving record and of every record merged into it (`citizen_merge`). Their anonymous PQRDs
    are left out for a viewer who may not see a reserved identity (it would name the filer)."""
    if citizen_id is None:
        return {"citizen": None, "conversations": [], "tickets": []}
    citizen = await uow.session.get(Citizen, citizen_id)
    if citizen is not None and citizen.merged_into_id is not None:
        citizen_id = await citizen_merge.survivor(uow, citizen_id)
        citizen = await uow.session.get(Citizen, citizen_id)
    ids = await identities.citizen_ids(uow, citizen_id)
    conversations = (
        await uow.session.scalars(
            select(Conversation)
            .where(Conversation.citizen_id.in_(ids))
            .order_by(Conversation.started_at.desc())
            .limit(50)
        )
    ).all()
    rows = (
        await uow.session.scalars(
            select(Ticket).where(Ticket.citizen_id.in_(ids)).order_by(Ticket.filed_at.desc()).limit(50)
        )
    ).all()
    rows = [t for t in rows if not access.reserved(t, viewer)]
    hidden = await _reserved_links(uow, [c.ticket_id for c in conversations if c.ticket_id], viewer)
    clock = await tickets.load_clock(uow)
    now = uow.clock.now()
    return {
        "citizen": {"id": citizen_id, "name": citizen.name if citizen else None, "record_ids": ids},
        "conversations": [
            {
                "id": c.id,
                "channel": c.channel,
                "state": c.state,
                "topic": c.topic,
                "started_at": c.started_at.isoformat(),
                "ticket_id": None if c.ticket_id in hidden else c.ticket_id,
            }
            for c in conversations
        ],
        "tickets": [ticket_summary(t, days_left(clock, t, now)) for t in rows],
    }


async def _reserved_links(uow: UnitOfWork, ticket_ids: list[int], viewer: Principal) -> set[int]:
    """The anonymous PQRDs among these (a call or chat that filed one must not name it to an agent)."""
    if not ticket_ids or access.is_supervisor(viewer):
        return set()
    rows = await uow.session.scalars(select(Ticket.id).where(Ticket.id.in_(ticket_ids), Ticket.anonymous))
    return set(rows.all())


async def apply_ticket_action(
    uow: UnitOfWork,
    ticket: Ticket,
    principal: Principal,
    action: TicketAction,
    *,
    text: str | None = None,
    new_due_date: date | None = None,
    authority: str | None = None,
) -> None:
    """One lifecycle operation of the ticket service by this official; the caller commits."""
    actor = Actor("official", principal.official_id)
    if action == "start":
        await actions.start_work(uow, ticket, actor)
    elif action == "answer":
        await actions.answer(uow, ticket, actor, text=text or "")
    elif action == "request_completion":
        await actions.request_completion(uow, ticket, actor, reason=text or "")
    elif action == "record_completion":
        await actions.record_completion(uow, ticket, actor, note=text)
    elif action == "extend":
        if new_due_date is None:
            raise InvalidInput("Indique la nueva fecha de vencimiento.", code="due_date_required")
        await actions.extend(uow, ticket, actor, new_due_date=new_due_date, reasons=text or "")
    elif action == "forward":
        await actions.forward(uow, ticket, actor, authority=authority or "", reason=text or "")
    else:
        await actions.close(uow, ticket, actor, reason=text)
