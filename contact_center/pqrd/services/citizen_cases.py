"""A citizen's own cases across every channel, as the mobile app shows them.

A citizen sees tickets and conversations of their citizen record and of every record merged into
it, and nothing else: a case of somebody else is "not found", exactly like one that does not exist.
Only the public part of a ticket's history is shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from contact_center.citizens.services.accounts import CitizenPrincipal
from contact_center.citizens.services.identities import citizen_ids
from contact_center.core.db.models import Attachment, Conversation, Message, Ticket, TicketEvent
from contact_center.core.errors import Conflict
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.legal_clock import PQRD_TYPE_LABELS, PqrdType
from contact_center.pqrd.domain.tickets import STATUS_LABELS, TERMINAL_STATUSES, TicketStatus
from contact_center.pqrd.services import actions, tickets
from contact_center.pqrd.services.tickets import Actor


@dataclass(frozen=True, slots=True)
class TicketSummary:
    id: int
    radicado: str
    pqrd_type: str
    pqrd_type_label: str
    subject: str
    channel: str
    status: str
    status_label: str
    filed_at: datetime
    due_date: date
    updated_at: datetime
    awaiting_citizen: bool


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    id: int
    channel: str
    state: str
    topic: str | None
    ticket_id: int | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class PublicEvent:
    at: datetime
    kind: str
    status: str | None
    status_label: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    ticket: TicketSummary
    description: str
    public_answer: str | None
    history: list[PublicEvent]
    attachments: list[str]


@dataclass(frozen=True, slots=True)
class Cases:
    tickets: list[TicketSummary]
    conversations: list[ConversationSummary]
    etag: str


def summarize(ticket: Ticket) -> TicketSummary:
    status = TicketStatus(ticket.status)
    return TicketSummary(
        id=ticket.id,
        radicado=ticket.radicado,
        pqrd_type=ticket.pqrd_type,
        pqrd_type_label=PQRD_TYPE_LABELS[PqrdType(ticket.pqrd_type)],
        subject=ticket.subject,
        channel=ticket.channel,
        status=status.value,
        status_label=STATUS_LABELS[status],
        filed_at=ticket.filed_at,
        due_date=ticket.due_date,
        updated_at=ticket.updated_at,
        awaiting_citizen=status is TicketStatus.SUSPENDIDO,
    )


async def list_cases(uow: UnitOfWork, principal: CitizenPrincipal) -> Cases:
    """Every ticket and conversation of the citizen, newest first, with a version tag (ETag)."""
    ids = await citizen_ids(uow, principal.citizen_id)
    ticket_rows = (
        await uow.session.scalars(
            select(Ticket)
            .where(Ticket.citizen_id.in_(ids))
            .order_by(Ticket.filed_at.desc(), Ticket.id.desc())
        )
    ).all()
    conversation_rows = (
        await uow.session.scalars(
            select(Conversation)
            .where(Conversation.citizen_id.in_(ids))
            .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        )
    ).all()
    etag = await _etag(uow, ticket_rows, conversation_rows)
    return Cases(
        [summarize(t) for t in ticket_rows],
        [
            ConversationSummary(c.id, c.channel, c.state, c.topic, c.ticket_id, c.started_at, c.ended_at)
            for c in conversation_rows
        ],
        etag,
    )


async def _etag(uow: UnitOfWork, ticket_rows: Sequence[Ticket], conversations: Sequence[Conversation]) -> str:
    """A strong validator: changes whenever a case, its history or its messages change."""
    ticket_ids = [t.id for t in ticket_rows]
    conversation_ids = [c.id for c in conversations]
    event_counts: dict[int, int] = {}
    message_counts: dict[int, int] = {}
    if ticket_ids:
        rows = await uow.session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.ticket_id.in_(ticket_ids))
            .group_by(TicketEvent.ticket_id)
        )
        event_counts = {tid: int(n) for tid, n in rows}
    if conversation_ids:
        rows = await uow.session.execute(
            select(Message.conversation_id, func.count())
            .where(Message.conversation_id.in_(conversation_ids), Message.internal.is_(False))
            .group_by(Message.conversation_id)
        )
        message_counts = {cid: int(n) for cid, n in rows}
    digest = hashlib.sha256()
    for t in ticket_rows:
        digest.update(f"t{t.id}:{t.status}:{t.updated_at.isoformat()}:{event_counts.get(t.id, 0)};".encode())
    for c in conversations:
        digest.update(f"c{c.id}:{c.state}:{c.ticket_id}:{message_counts.get(c.id, 0)};".encode())
    return f'"{digest.hexdigest()[:32]}"'


async def own_ticket(
    uow: UnitOfWork, principal: CitizenPrincipal, ticket_id: int, *, for_update: bool = False
) -> Ticket:
    """The citizen's ticket; anybody else's, or none, is the same 404 (`services.access`)."""
    from contact_center.pqrd import access

    return await access.ticket(uow, principal, ticket_id=ticket_id, lock=for_update)


async def own_open_ticket(uow: UnitOfWork, principal: CitizenPrincipal, ticket_id: int) -> Ticket:
    """The citizen's ticket, locked, if it still takes additions (409 `ticket_closed` otherwise)."""
    ticket = await own_ticket(uow, principal, ticket_id, for_update=True)
    if TicketStatus(ticket.status) in TERMINAL_STATUSES:
        raise Conflict(f"El radicado {ticket.radicado} ya está cerrado.", code="ticket_closed")
    return ticket


def detail_etag(detail: CaseDetail) -> str:
    """The version of one case as its citizen sees it."""
    t = detail.ticket
    seen = f"{t.id}:{t.status}:{t.updated_at.isoformat()}:{len(detail.history)}:{len(detail.attachments)}"
    return f'"{hashlib.sha256(seen.encode()).hexdigest()[:32]}"'


async def case_detail(uow: UnitOfWork, principal: CitizenPrincipal, ticket_id: int) -> CaseDetail:
    ticket = await own_ticket(uow, principal, ticket_id)
    return await describe(uow, ticket)


async def describe(uow: UnitOfWork, ticket: Ticket) -> CaseDetail:
    """The case as its citizen may see it: the public events only, and the names of the files."""
    events = await tickets.ticket_events(uow, ticket.id)
    files = await uow.session.scalars(
        select(Attachment.filename).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    )
    return CaseDetail(
        ticket=summarize(ticket),
        description=ticket.description,
        public_answer=ticket.public_answer,
        history=[_public(e) for e in events if e.public],
        attachments=list(files.all()),
    )


def _public(event: TicketEvent) -> PublicEvent:
    status = TicketStatus(event.to_status) if event.to_status else None
    return PublicEvent(
        at=event.at,
        kind=event.kind,
        status=status.value if status else None,
        status_label=STATUS_LABELS[status] if status else None,
        note=event.reason,
    )


async def reply_to_request(uow: UnitOfWork, principal: CitizenPrincipal, ticket_id: int, text: str) -> Ticket:
    """The citizen answers a request for more information (art. 17): the legal clock runs again.

    Only a ticket waiting for the citizen (`suspendido`) takes a reply; anything else is 409.
    The caller commits.
    """
    ticket = await own_ticket(uow, principal, ticket_id, for_update=True)
    if ticket.status != TicketStatus.SUSPENDIDO.value:
        raise Conflict(
            "Este caso no está esperando información suya.",
            code="not_awaiting_citizen",
            status=ticket.status,
        )
    await actions.record_completion(uow, ticket, Actor("citizen", principal.citizen_id), note=text.strip())
    return ticket
