"""PQRD tickets as work items: which queue, how urgent, and keeping the queue in step with tickets.

Mapping: a ticket waits in its dependencia's queue (the first queue of that dependencia), or in
`pqrd_triage` when the dependencia is the triage one or has no queue of its own. Channel "pqrd".

Priority: `routing.priority.effective_priority` with the ticket's art. 20 flags and the legal
clock's business days left and fraction elapsed (interface #1's `load_clock`), plus
`ESCALATION_WEIGHT` for every escalation step already fired, so an escalated ticket moves up.
`sync_tickets` (run by every engine's slow resync, idempotent) enqueues new tickets, re-prioritises
waiting ones as their deadline nears or they escalate, and ends the items of tickets that are done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, select, update

from contact_center.core.db.models import Dependencia, Queue, Ticket
from contact_center.core.db.quiet_insert import insert_ignoring_conflicts
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.legal_clock import LegalClock
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services.tickets import Actor, clock_facts, load_clock, ticket_clock
from routing.persistence import LIVE, Setup
from routing.priority import Art20Flag, effective_priority

_ITEMS: Table = WorkItem.__table__  # type: ignore[assignment]
TRIAGE_QUEUE = "pqrd_triage"
ESCALATION_WEIGHT = 10
ROUTABLE = (TicketStatus.RADICADO.value,)
DONE = (
    TicketStatus.RESPONDIDO.value,
    TicketStatus.CERRADO.value,
    TicketStatus.TRASLADADO.value,
    TicketStatus.DESISTIDO.value,
)


async def queue_for(uow: UnitOfWork, setup: Setup, ticket: Ticket) -> int | None:
    """The dependencia's first queue; `pqrd_triage` for the triage dependencia or one without a queue."""
    row = (
        await uow.session.execute(
            select(Dependencia.is_triage, Queue.id)
            .select_from(Dependencia)
            .outerjoin(Queue, Queue.dependencia_id == Dependencia.id)
            .where(Dependencia.id == ticket.dependencia_id)
            .order_by(Queue.id)
            .limit(1)
        )
    ).first()
    is_triage, own = (bool(row[0]), row[1]) if row is not None else (False, None)
    triage = setup.queue_by_code(TRIAGE_QUEUE)
    if triage is not None and (is_triage or own is None):
        return triage.id
    return int(own) if own is not None else None


def priority_of(ticket: Ticket, queue_priority: int, clock_at: datetime, clock: LegalClock) -> int:
    snap = ticket_clock(clock, ticket).snapshot(clock_facts(ticket), clock_at)
    flags = [Art20Flag(f) for f in ticket.priority_flags or [] if f in Art20Flag.__members__.values()]
    return effective_priority(
        queue_priority,
        item_priority=ESCALATION_WEIGHT * (ticket.escalation_step or 0),
        flags=flags,
        business_days_left=snap.days_left,
        fraction_elapsed=max(0.0, snap.fraction_elapsed),
    )


async def sync_tickets(uow: UnitOfWork, setup: Setup, limit: int = 500) -> list[int]:
    """Enqueue unrouted tickets, re-prioritise waiting ones, end items of finished tickets.

    Returns the work items changed. The caller commits.
    """
    now = uow.clock.now()
    clock = await load_clock(uow)
    changed = await _end_finished(uow, now)
    live = select(WorkItem.ticket_id).where(WorkItem.ticket_id.is_not(None), WorkItem.status.in_(LIVE))
    new = (
        await uow.session.scalars(
            select(Ticket)
            .where(Ticket.status.in_(ROUTABLE), Ticket.assignee_id.is_(None), Ticket.id.not_in(live))
            .limit(limit)
        )
    ).all()
    for ticket in new:
        queue_id = await queue_for(uow, setup, ticket)
        if queue_id is None:
            continue
        row = {
            "kind": "ticket",
            "ticket_id": ticket.id,
            "queue_id": queue_id,
            "channel": "pqrd",
            "status": "waiting",
            "priority": 0,
            "effective_priority": priority_of(ticket, setup.queues[queue_id].priority, now, clock),
            "enqueued_at": ticket.filed_at,
            "updated_at": now,
        }
        # Another process (a second `serve` starting at the same time, its own resync) may be
        # enqueueing the same backlog: `uq_work_items_live_ticket` keeps one live item per ticket,
        # and the insert that loses is skipped instead of failing the whole start-up.
        changed.extend(await insert_ignoring_conflicts(uow.session, _ITEMS, [row], returning=_ITEMS.c.id))
    changed.extend(await _reprioritise(uow, setup, now, clock))
    return changed


async def _end_finished(uow: UnitOfWork, now: datetime) -> list[int]:
    done = select(Ticket.id).where(Ticket.status.in_(DONE))
    rows = (
        await uow.session.execute(
            update(WorkItem)
            .where(WorkItem.ticket_id.in_(done), WorkItem.status.in_(("waiting", "assigned")))
            .values(status="completed", ended_at=now, updated_at=now)
            .returning(WorkItem.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return [r.id for r in rows]


async def _reprioritise(uow: UnitOfWork, setup: Setup, now: datetime, clock: LegalClock) -> list[int]:
    rows = (
        await uow.session.execute(
            select(WorkItem, Ticket)
            .join(Ticket, Ticket.id == WorkItem.ticket_id)
            .where(WorkItem.status == "waiting")
        )
    ).all()
    changed = []
    for item, ticket in rows:
        queue = setup.queues.get(item.queue_id)
        if queue is None:
            continue
        value = priority_of(ticket, queue.priority, now, clock)
        if value != item.effective_priority:
            item.effective_priority = value
            changed.append(item.id)
    return changed


async def assign_ticket(uow: UnitOfWork, ticket_id: int, official_id: int) -> None:
    """An accepted PQRD offer makes the official the ticket's assignee (a ticket event)."""
    from contact_center.pqrd.services import actions as ticket_actions

    ticket = await uow.session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None or ticket.assignee_id == official_id or ticket.status in DONE:
        return
    # The official who accepted the router's offer is who took the ticket (the audit trail's actor).
    await ticket_actions.assign(
        uow, ticket, official_id, Actor("official", official_id), reason="Oferta del enrutador aceptada."
    )
