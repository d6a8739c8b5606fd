"""Filing many PQRDs in one transaction, in a few statements (the CSV import of old records).

Each ticket is what `tickets.file_ticket` would file: its row is built by the same
`tickets.build_ticket` (due date on the cached legal clock, clock facts, first escalation), its
"filed" event by the same `tickets.new_event` (hash chained exactly as every other event), and
the same `ticket.updated` goes out after commit. Only the writing differs: the radicado numbers
of a year are taken in one statement, and the tickets and their events are multi-row INSERTs.
Adds and writes; the caller commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Table

from contact_center.core.db.batch_rows import insert_returning_ids, take_numbers
from contact_center.core.db.models import Ticket
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.calendar import bogota_date
from contact_center.pqrd.domain.tickets import TicketStatus, format_radicado
from contact_center.pqrd.queries.filing_rows import TICKET_COLUMNS, insert_events
from contact_center.pqrd.services.dependencia_directory import DependenciaRef, filing_dependencia
from contact_center.pqrd.services.officials_cache import active_officials
from contact_center.pqrd.services.tickets import (
    FiledTicket,
    NewTicket,
    build_ticket,
    check_new,
    emit_updated,
    filing_event_data,
    load_clock,
)
from contact_center.pqrd.services.trail import Actor, new_event

_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]


async def file_tickets(
    uow: UnitOfWork, batch: Sequence[NewTicket], actor: Actor, *, secret: bytes
) -> list[FiledTicket]:
    """File every ticket of `batch`, in order: radicados follow the order of the batch within
    each year of receipt. Nothing is written when one is refused (InvalidInput)."""
    for new in batch:
        check_new(new)
    clock = await load_clock(uow)
    dependencias: dict[str | None, DependenciaRef] = {}
    for code in dict.fromkeys(new.dependencia_code for new in batch):
        dependencias[code] = await filing_dependencia(uow, code)
    built = [
        await build_ticket(uow, new, dependencias[new.dependencia_code], clock, secret=secret)
        for new in batch
    ]
    tickets = [ticket for ticket, _ in built]
    # Read before the radicados: the counters' rows stay locked until commit (as in `file_ticket`).
    officials = {ref.id: set(await active_officials(uow, ref.id)) for ref in dependencias.values()}
    await _number(uow, tickets)
    rows = [{**{c: getattr(t, c) for c in TICKET_COLUMNS}, "radicado": t.radicado} for t in tickets]
    for ticket, ticket_id in zip(
        tickets, await insert_returning_ids(uow.session, _TICKETS, rows), strict=True
    ):
        ticket.id = ticket_id
    now = uow.clock.now()
    events = [
        new_event(
            ticket.id,
            (0, None),
            now,
            "filed",
            actor,
            public=True,
            to_status=TicketStatus.RADICADO.value,
            data=filing_event_data(new, ticket, dependencias[new.dependencia_code]),
        )
        for new, ticket in zip(batch, tickets, strict=True)
    ]
    await insert_events(uow.session, events)
    for ticket in tickets:
        emit_updated(uow, ticket, officials[ticket.dependencia_id])
    return [
        FiledTicket(t.id, t.radicado, code, t.filed_at, t.received_on, t.due_date, TicketStatus.RADICADO)
        for t, code in built
    ]


async def _number(uow: UnitOfWork, tickets: Sequence[Ticket]) -> None:
    """Give each ticket the next radicado of its year of receipt, in order; one statement per year,
    the years taken in ascending order (two batches lock the counters in the same order)."""
    years = Counter(bogota_date(t.filed_at).year for t in tickets)
    following = {year: await take_numbers(uow.session, year, years[year]) for year in sorted(years)}
    for ticket in tickets:
        year = bogota_date(ticket.filed_at).year
        ticket.radicado = format_radicado(year, following[year])
        following[year] += 1
