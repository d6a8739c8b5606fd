"""PQRD tickets: filing with a gap-free radicado, the hash-chained audit trail, status changes.

Every change to a ticket goes through `append_event` (an append-only, hash-chained row in
`ticket_events`) in the same transaction as the change itself; `change_status` also checks the state
machine of `domain.tickets`. Functions here add and flush; the caller commits, and the
`ticket.updated` events queued on the unit of work go out only after that commit.

The lifecycle operations (assign, start_work, request_completion, ...) live in
`contact_center.pqrd.services.actions`; the audit trail's events in `contact_center.pqrd.services.trail`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select

from contact_center.core.db.models import (
    Conversation,
    Dependencia,
    Official,
    Ticket,
    TicketEvent,
)
from contact_center.core.errors import InvalidInput, NotFound
from contact_center.core.events import AGENTS, SUPERVISORS, SUPERVISORS_ROOM, Event, official_room
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.legal_clock import ClockFacts, LegalClock, PqrdType, PriorityFlag
from contact_center.pqrd.domain.tickets import (
    STATUS_LABELS,
    TicketStatus,
    check_transition,
    format_radicado,
    parse_radicado,
)
from contact_center.pqrd.queries.filing_rows import (
    TICKET_COLUMNS,
    PendingTicket,
    defer_numbered_ticket,
    insert_numbered_ticket,
)
from contact_center.pqrd.services import escalation
from contact_center.pqrd.services.chain import FilingTrail
from contact_center.pqrd.services.clock import clock_facts, load_clock, store_facts, ticket_clock
from contact_center.pqrd.services.dependencia_directory import DependenciaRef, filing_dependencia
from contact_center.pqrd.services.officials_cache import active_officials
from contact_center.pqrd.services.trail import SYSTEM, Actor, append_event, new_event

CHANNELS = frozenset({"web", "app", "voice", "chat", "email", "presencial", "import"})
# No 0/O, 1/I/L: the code is read back by the IVR and typed from a printed acknowledgement.
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_LENGTH = 8


@dataclass(frozen=True)
class NewTicket:
    """A PQRD to file, from any channel."""

    pqrd_type: PqrdType
    subject: str
    description: str
    channel: str  # "web" | "app" | "voice" | "chat" | "email" | "presencial" | "import"
    dependencia_code: str | None = None  # None -> the triage dependencia (is_triage=True)
    citizen_id: int | None = None
    anonymous: bool = False
    priority_flags: frozenset[PriorityFlag] = frozenset()
    notify_by_email: bool = False
    verbal: bool = False
    conversation_id: int | None = None
    filed_at: datetime | None = None  # None -> uow.clock.now(); set by the CSV import of old records
    original_radicado: str | None = None  # the number in the city's old records (CSV import)


@dataclass(frozen=True)
class FiledTicket:
    """The acknowledgement of a filing: what the citizen is told at once."""

    id: int
    radicado: str
    access_code: str
    filed_at: datetime
    received_on: date
    due_date: date
    status: TicketStatus


# -- access codes -----------------------------------------------------------------------------------


def new_access_code() -> str:
    """A random code of 8 characters from an unambiguous alphabet (about 40 bits)."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def normalize_access_code(code: str) -> str:
    """Citizens type codes in lower case, with spaces or hyphens; compare what they meant."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def access_code_hash(code: str, secret: bytes) -> str:
    """HMAC-SHA256(secret, code), hex: the only form in which an access code is stored."""
    return hmac.new(secret, normalize_access_code(code).encode(), sha256).hexdigest()


def access_code_matches(ticket: Ticket, code: str, secret: bytes) -> bool:
    """Whether `code` opens `ticket`, compared in constant time."""
    return hmac.compare_digest(ticket.access_code_hash, access_code_hash(code, secret))


# -- filing -----------------------------------------------------------------------------------------


async def file_ticket(uow: UnitOfWork, new: NewTicket, actor: Actor, *, secret: bytes) -> FiledTicket:
    """File a PQRD: radicado, access code, legal due date and the first ticket event.

    Adds and flushes; the caller commits. The radicado number is taken inside this transaction, so a
    filing that rolls back gives its number back and the year's sequence stays without gaps.
    """
    row = await file_ticket_row(uow, new, actor, secret=secret)
    await row.trail.write(uow.session, row.pending)
    return row.filed


@dataclass(frozen=True)
class NewRow:
    """A ticket just filed in this transaction, for callers that go on with it (no re-read): its
    first events wait in `trail` (write them before the transaction ends), and with `pending` the
    radicado is still a placeholder that `numbering.LateNumbering` replaces at the end."""

    filed: FiledTicket
    ticket: Ticket
    trail: FilingTrail
    pending: PendingTicket | None = None


async def file_ticket_row(
    uow: UnitOfWork, new: NewTicket, actor: Actor, *, secret: bytes, number_at_end: bool = False
) -> NewRow:
    """`file_ticket`, handing back the new row and its trail.

    The row is written with Core (`filing_rows`), not added to the session: the object handed back
    carries its values and id, and changing it afterwards changes nothing in the database.
    `number_at_end`: on PostgreSQL leave the radicado to the transaction's last statement (a filing
    under `Idempotency-Key` whose other rows do not point at the ticket)."""
    check_new(new)
    dependencia = await filing_dependencia(uow, new.dependencia_code)
    ticket, code = await build_ticket(uow, new, dependencia, await load_clock(uow), secret=secret)
    # Read before the radicado: its row lock is held until commit, so every filing waits on
    # what comes after `insert_numbered_ticket`; only writes follow it.
    officials = set(await active_officials(uow, dependencia.id))
    received = bogota_date(ticket.filed_at)
    # The year's number and the row in one statement (one round trip on PostgreSQL): from there to
    # the commit every other filing waits on the counter's row lock. With `number_at_end` on
    # PostgreSQL that statement is the filing's last (`filing_rows.finish_filing`): only COMMIT follows.
    values = {column: getattr(ticket, column) for column in TICKET_COLUMNS}
    late = (
        await defer_numbered_ticket(uow.session, values, received.year)
        if number_at_end and new.conversation_id is None
        else None
    )
    if late is not None:
        # The number is taken by the filing's last statement: until then a placeholder stands in
        # for it wherever it is written, and what must show the real one waits for it.
        ticket.id, ticket.radicado = late.values["id"], late.placeholder
        late.numbered.append(lambda radicado: _numbered(uow, ticket, radicado, officials))
    else:
        ticket.id, number = await insert_numbered_ticket(uow.session, values, received.year)
        ticket.radicado = format_radicado(received.year, number)
    radicado = ticket.radicado
    trail = FilingTrail(ticket)
    await _link_conversation(uow, ticket, new.conversation_id)
    await append_event(
        uow,
        ticket,
        "filed",
        actor,
        public=True,
        to_status=TicketStatus.RADICADO.value,
        data=filing_event_data(new, ticket, dependencia),
        trail=trail,
    )
    if late is None:
        emit_updated(uow, ticket, officials)
    filed = FiledTicket(
        ticket.id, radicado, code, ticket.filed_at, ticket.received_on, ticket.due_date, TicketStatus.RADICADO
    )
    return NewRow(filed, ticket, trail, late)


async def build_ticket(
    uow: UnitOfWork, new: NewTicket, dependencia: DependenciaRef, clock: LegalClock, *, secret: bytes
) -> tuple[Ticket, str]:
    """The row of a new ticket, not written and without id or radicado, and its access code: the
    legal due date, the clock facts and the first escalation instant. Filing one ticket
    (`file_ticket_row`) and many (`ticket_batch.file_tickets`) build their rows here."""
    now = uow.clock.now()
    filed_at = new.filed_at or now
    deadline = clock.deadline(new.pqrd_type, filed_at)
    code = new_access_code()
    ticket = Ticket(
        pqrd_type=new.pqrd_type.value,
        subject=new.subject.strip(),
        description=new.description.strip(),
        channel=new.channel,
        status=TicketStatus.RADICADO.value,
        dependencia_id=dependencia.id,
        citizen_id=new.citizen_id,
        anonymous=new.anonymous,
        priority_flags=sorted(f.value for f in new.priority_flags),
        filed_at=filed_at,
        received_on=deadline.received_on,
        term_days=deadline.term_days,
        due_date=deadline.due_date,
        original_due_date=deadline.due_date,
        clock={},
        access_code_hash=access_code_hash(code, secret),
        notify_by_email=new.notify_by_email,
        escalation_step=0,
        created_at=now,
        updated_at=now,
    )
    facts = ClockFacts(new.pqrd_type, filed_at, verbal=new.verbal, priority_flags=new.priority_flags)
    store_facts(ticket, facts, {"forwarding_deadline": clock.forwarding_deadline(facts).isoformat()})
    await escalation.schedule_new(uow, ticket, clock)
    return ticket, code


def _numbered(uow: UnitOfWork, ticket: Ticket, radicado: str, officials: set[int]) -> None:
    ticket.radicado = radicado
    emit_updated(uow, ticket, officials)


def check_new(new: NewTicket) -> None:
    """Refuse a ticket no channel may file (unknown channel, no text, a naive filing instant)."""
    if new.channel not in CHANNELS:
        raise InvalidInput(f"Canal desconocido: «{new.channel}».", code="unknown_channel")
    if not new.subject.strip() or not new.description.strip():
        raise InvalidInput("El asunto y la descripción son obligatorios.", code="missing_text")
    if new.filed_at is not None:
        bogota_date(new.filed_at)  # refuses naive datetimes with "naive_datetime"


def filing_event_data(new: NewTicket, ticket: Ticket, dependencia: DependenciaRef) -> dict[str, Any]:
    return {
        "radicado": ticket.radicado,
        "pqrd_type": ticket.pqrd_type,
        "channel": ticket.channel,
        "dependencia": dependencia.code,
        "received_on": ticket.received_on.isoformat(),
        "term_days": ticket.term_days,
        "due_date": ticket.due_date.isoformat(),
        "anonymous": ticket.anonymous,
        "verbal": new.verbal,
        "priority_flags": list(ticket.priority_flags),
        **({"original_radicado": new.original_radicado} if new.original_radicado else {}),
    }


async def dependencia_by_code(uow: UnitOfWork, code: str) -> Dependencia:
    """The dependencia with this code, or 400 `unknown_dependencia`."""
    found = (await uow.session.scalars(select(Dependencia).where(Dependencia.code == code))).first()
    if found is None:
        raise InvalidInput(f"Dependencia desconocida: «{code}».", code="unknown_dependencia")
    return found


async def _link_conversation(uow: UnitOfWork, ticket: Ticket, conversation_id: int | None) -> None:
    if conversation_id is None:
        return
    conversation = await uow.session.get(Conversation, conversation_id)
    if conversation is None:
        raise InvalidInput("La conversación indicada no existe.", code="unknown_conversation")
    conversation.ticket_id = ticket.id


# -- the audit trail --------------------------------------------------------------------------------


def check_status_change(ticket: Ticket, target: TicketStatus) -> None:
    """Refuse an impossible transition before anything about the ticket is changed."""
    check_transition(TicketStatus(ticket.status), target)


async def change_status(
    uow: UnitOfWork,
    ticket: Ticket,
    target: TicketStatus,
    actor: Actor,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the ticket through the state machine (409 `invalid_transition` otherwise), with its event."""
    current = TicketStatus(ticket.status)
    check_transition(current, target)
    ticket.status = target.value
    ticket.updated_at = uow.clock.now()
    await append_event(
        uow,
        ticket,
        "status_changed",
        actor,
        reason=reason,
        public=True,
        data=data,
        from_status=current.value,
        to_status=target.value,
    )
    # Next escalation step recomputed, and the citizen's notices queued, in this same transaction.
    await escalation.ticket_changed(uow, ticket, target, reason=reason, data=data)
    await notify_ticket(uow, ticket)


async def notify_ticket(uow: UnitOfWork, ticket: Ticket) -> None:
    """Queue `ticket.updated` for the assignee, the dependencia's officials and the supervisors."""
    emit_updated(uow, ticket, await _dependencia_officials(uow, ticket.dependencia_id))


async def _dependencia_officials(uow: UnitOfWork, dependencia_id: int) -> set[int]:
    rows = await uow.session.scalars(
        select(Official.id).where(Official.dependencia_id == dependencia_id, Official.active.is_(True))
    )
    return set(rows.all())


def emit_updated(uow: UnitOfWork, ticket: Ticket, officials: set[int]) -> None:
    """Queue `ticket.updated` for these officials (and the assignee) and the supervisors."""
    payload = {
        "id": ticket.id,
        "radicado": ticket.radicado,
        "status": ticket.status,
        "status_label": STATUS_LABELS[TicketStatus(ticket.status)],
        "dependencia_id": ticket.dependencia_id,
        "assignee_id": ticket.assignee_id,
        "due_date": ticket.due_date.isoformat(),
    }
    # Officials join only their own room on /agents, so the dependencia is reached person by person.
    if ticket.assignee_id is not None:
        officials = officials | {ticket.assignee_id}
    for official_id in sorted(officials):
        uow.emit(Event("ticket.updated", AGENTS, official_room(official_id), payload))
    uow.emit(Event("ticket.updated", SUPERVISORS, SUPERVISORS_ROOM, payload))


async def ticket_by_radicado(uow: UnitOfWork, radicado: str, *, for_update: bool = False) -> Ticket:
    """The ticket with this radicado (spaces and hyphens ignored), or 404 `ticket_not_found`."""
    number = str(parse_radicado(radicado))
    query = select(Ticket).where(Ticket.radicado == number)
    if for_update:
        query = query.with_for_update()
    ticket = (await uow.session.scalars(query)).first()
    if ticket is None:
        raise NotFound(f"No existe el radicado {number}.", code="ticket_not_found")
    return ticket


async def ticket_events(uow: UnitOfWork, ticket_id: int) -> list[TicketEvent]:
    """The audit trail of a ticket, oldest first."""
    rows = await uow.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.seq)
    )
    return list(rows.all())


__all__ = [
    "SYSTEM",
    "Actor",
    "FiledTicket",
    "NewTicket",
    "access_code_matches",
    "append_event",
    "change_status",
    "clock_facts",
    "file_ticket",
    "load_clock",
    "new_event",
    "store_facts",
    "ticket_clock",
]
