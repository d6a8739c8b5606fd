"""Verification of the tickets' hash-chained audit trail (`contact-center tickets verify-chain`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.tickets import ChainLink, verify_chain
from contact_center.pqrd.services.chain import event_payload
from contact_center.pqrd.services.tickets import ticket_by_radicado


@dataclass(frozen=True)
class BrokenChain:
    """The first event of a ticket whose hash does not match what is stored: tampering."""

    ticket_id: int
    radicado: str
    seq: int
    event_id: int


@dataclass
class ChainReport:
    tickets: int = 0
    events: int = 0
    broken: list[BrokenChain] = field(default_factory=list)


async def verify_chains(uow: UnitOfWork, radicado: str | None = None) -> ChainReport:
    """Recompute the hash chain of one ticket (or of all, streamed in order) from the stored rows."""
    query = select(TicketEvent, Ticket.radicado).join(Ticket, Ticket.id == TicketEvent.ticket_id)
    if radicado is not None:
        query = query.where(Ticket.id == (await ticket_by_radicado(uow, radicado)).id)
    query = query.order_by(TicketEvent.ticket_id, TicketEvent.seq).execution_options(yield_per=1000)
    report = ChainReport()
    current: int | None = None
    prev_hash: str | None = None
    broken_ticket = False
    async for event, number in await uow.session.stream(query):
        if event.ticket_id != current:
            current, prev_hash, broken_ticket = event.ticket_id, None, False
            report.tickets += 1
        report.events += 1
        if broken_ticket:
            continue
        if verify_chain([ChainLink(event_payload(event), event.hash)], prev_hash) is not None:
            report.broken.append(BrokenChain(event.ticket_id, number, event.seq, event.id))
            broken_ticket = True
        prev_hash = event.hash
    return report
