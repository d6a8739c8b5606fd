"""Deadline escalation: the database schedules it, a sweep turns due rows into jobs, a job fires one step.

`tickets.next_escalation_at` holds the instant of a ticket's next escalation point (NULL when its
clock does not run), kept current by `reschedule` whenever the ticket service files a ticket or
changes its status. `sweep` reads the due rows through a partial index and enqueues one job per
ticket with the id f"esc:{ticket_id}:{step}"; `escalate` fires that step once: a conditional UPDATE
on `tickets.escalation_step` makes a second run (a retry, a re-driven job, another worker) a no-op,
and the job re-checks the ticket's state, so nothing fires for a ticket answered, suspended or
forwarded in the meantime.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from contact_center.core import housekeeping
from contact_center.core.db.models import Ticket, TicketEvent
from contact_center.core.events import AGENTS, SUPERVISORS, SUPERVISORS_ROOM, Event, official_room
from contact_center.core.jobs.port import JobArg, JobContext, Jobs
from contact_center.core.uow import UnitOfWork
from contact_center.outbound.jobs import DELIVER_JOB
from contact_center.outbound.services.delivery import configured_channels, redrivable
from contact_center.pqrd.domain.escalation import (
    EscalationPoint,
    EscalationPolicy,
    Tier,
    due_point,
    next_point,
    overtaken,
    schedule,
)
from contact_center.pqrd.domain.legal_clock import LegalClock
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services.clock import clock_facts, load_clock, ticket_clock
from contact_center.pqrd.services.dependencia_directory import dependencia_ref
from contact_center.pqrd.services.escalation_audience import audience
from contact_center.pqrd.services.escalation_policy import (
    load_policy,
    start_reschedule,
    unfinished_reschedule,
)
from contact_center.pqrd.services.escalation_text import official_alert
from contact_center.pqrd.services.notifications import notify_status_change, queue_message
from contact_center.pqrd.services.trail import Actor, append_event

log = logging.getLogger(__name__)

ESCALATE_JOB = "contact_center.pqrd.services.escalation:escalate_job"
ESCALATED = "escalated"  # the ticket event kind
SWEEP_BATCH = 10_000
DEFAULT_POLICY = EscalationPolicy()  # in force until an administrator stores another


@dataclass(frozen=True)
class Fired:
    """One escalation that fired: its step and point, the messages to send, the next step's instant."""

    ticket_id: int
    step: int
    point: EscalationPoint
    message_ids: tuple[int, ...]
    next_at: datetime | None


def escalate_job_id(ticket_id: int, step: int) -> str:
    return f"esc:{ticket_id}:{step}"


async def fired_keys(uow: UnitOfWork, ticket_id: int) -> set[str]:
    """The keys of the escalation points already fired for a ticket (from its audit trail)."""
    return (await _fired_keys_of(uow, [ticket_id]))[ticket_id]


async def _fired_keys_of(uow: UnitOfWork, ticket_ids: Sequence[int]) -> dict[int, set[str]]:
    fired: dict[int, set[str]] = {ticket_id: set() for ticket_id in ticket_ids}
    rows = await uow.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.data).where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == ESCALATED
        )
    )
    for ticket_id, data in rows.all():
        fired[ticket_id].add(str(data.get("point")))
    return fired


async def _points(
    uow: UnitOfWork, ticket: Ticket, policy: EscalationPolicy, clock: LegalClock | None = None
) -> list[EscalationPoint]:
    own = ticket_clock(clock or await load_clock(uow), ticket)
    return schedule(policy, own, clock_facts(ticket), TicketStatus(ticket.status), uow.clock.now())


async def reschedule(uow: UnitOfWork, ticket: Ticket, policy: EscalationPolicy | None = None) -> None:
    """Recompute `ticket.next_escalation_at` after filing or a status change; the caller commits.

    `policy`: the stored one (`escalation_policy.load_policy`) when not given.
    """
    await reschedule_many(uow, [ticket], policy or await load_policy(uow))


async def schedule_new(uow: UnitOfWork, ticket: Ticket, clock: LegalClock) -> None:
    """`reschedule` for a ticket being filed (before its INSERT): nothing can have fired for it,
    so only the (cached) policy is read and `next_escalation_at` goes out with the row."""
    points = await _points(uow, ticket, await load_policy(uow), clock)
    upcoming = next_point(points, set()) if points else None
    ticket.next_escalation_at = upcoming.at if upcoming else None


async def reschedule_many(uow: UnitOfWork, tickets: Sequence[Ticket], policy: EscalationPolicy) -> None:
    """`reschedule` for a batch: the legal clock and the fired points are read once for all."""
    if not tickets:
        return
    clock = await load_clock(uow)
    fired = await _fired_keys_of(uow, [t.id for t in tickets])
    for ticket in tickets:
        points = await _points(uow, ticket, policy, clock)
        upcoming = next_point(points, fired[ticket.id]) if points else None
        ticket.next_escalation_at = upcoming.at if upcoming else None


async def ticket_changed(
    uow: UnitOfWork,
    ticket: Ticket,
    target: TicketStatus,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The ticket service's hook after a status change: reschedule, and queue the citizen's notices."""
    await reschedule(uow, ticket)
    await notify_status_change(uow, ticket, target, reason=reason, data=data)


async def due_tickets(uow: UnitOfWork, now: datetime, limit: int = SWEEP_BATCH) -> list[tuple[int, int]]:
    """(ticket id, next step) of the tickets whose next escalation is due, oldest first.

    Served by the partial index on `next_escalation_at`: its cost follows the due tickets, not the
    open ones.
    """
    rows = await uow.session.execute(
        select(Ticket.id, Ticket.escalation_step)
        .where(Ticket.next_escalation_at <= now)
        .order_by(Ticket.next_escalation_at)
        .limit(limit)
    )
    return [(ticket_id, step + 1) for ticket_id, step in rows.all()]


async def sweep(uow: UnitOfWork, jobs: Jobs, limit: int = SWEEP_BATCH) -> int:
    """Enqueue one escalation job per due ticket; the number of due tickets found."""
    due = await due_tickets(uow, uow.clock.now(), limit)
    await uow.session.rollback()  # release the read before the (slow) enqueueing
    items = [(ESCALATE_JOB, (ticket_id, step), escalate_job_id(ticket_id, step)) for ticket_id, step in due]
    await enqueue_all(jobs, items)
    if due:
        log.info("escalation_sweep", extra={"due": len(due)})
    return len(due)


async def enqueue_all(jobs: Jobs, items: Sequence[tuple[str, tuple[JobArg, ...], str]]) -> None:
    """Enqueue many jobs, in one batch when the runner offers it (RQ: one thread hop)."""
    batch = getattr(jobs, "enqueue_many", None)
    if batch is not None:
        await batch(items)
        return
    for job, args, job_id in items:
        await jobs.enqueue(job, *args, job_id=job_id)


async def escalate(
    uow: UnitOfWork, ticket_id: int, step: int, policy: EscalationPolicy | None = None
) -> Fired | None:
    """Fire escalation `step` of a ticket if it is still due; None when there is nothing to do.

    Commits. Re-checks everything: a stale step, a ticket whose clock stopped or whose point is
    not due any more only gets its `next_escalation_at` recomputed. `policy`: the stored one
    when not given.
    """
    ticket = await uow.session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None or step != ticket.escalation_step + 1:
        return None
    points = await _points(uow, ticket, policy or await load_policy(uow))
    fired = await fired_keys(uow, ticket_id)
    point = due_point(points, fired, uow.clock.now())
    if point is None:
        upcoming = next_point(points, fired)
        ticket.next_escalation_at = upcoming.at if upcoming else None
        await uow.commit()
        return None
    if not await _claim(uow, ticket_id, step):
        return None
    passed = [p for p in points if p.key in overtaken(points, fired, point)]
    return await _fire(uow, ticket, step, point, passed, next_point(points, fired | {point.key}))


async def _claim(uow: UnitOfWork, ticket_id: int, step: int) -> bool:
    """Take the step: only one transaction moves escalation_step below `step` up to it."""
    result = await uow.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.escalation_step < step)
        .values(escalation_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _fire(
    uow: UnitOfWork,
    ticket: Ticket,
    step: int,
    point: EscalationPoint,
    passed: Sequence[EscalationPoint],
    upcoming: EscalationPoint | None,
) -> Fired:
    ticket.escalation_step = step
    ticket.next_escalation_at = upcoming.at if upcoming else None
    reached = await audience(uow, ticket, point.tier)
    data: dict[str, Any] = {"point": point.key, "step": step, "tier": int(point.tier)}
    data["day"] = point.day.isoformat()
    if passed:  # a catch-up: the points it overtook are recorded, not sent one by one
        data["overtaken"] = [p.key for p in passed]
    if reached.fallback is not None:
        data["fallback"] = reached.fallback
    await append_event(uow, ticket, ESCALATED, Actor("system"), reason=point.label, data=data)
    payload = _payload(ticket, step, point)
    for official in reached.officials:
        uow.emit(Event("ticket.escalated", AGENTS, official_room(official.id), payload))
    if point.tier >= Tier.SUPERVISOR or ticket.assignee_id is None:
        uow.emit(Event("ticket.escalated", SUPERVISORS, SUPERVISORS_ROOM, payload))
    addresses = sorted({o.email for o in reached.officials} | reached.emails)
    dependencia = await dependencia_ref(uow, ticket.dependencia_id)
    subject, body = official_alert(ticket, point, passed, dependencia.name, uow.clock.now())
    messages = [await queue_message(uow, "email", to, subject, body, ticket.id) for to in addresses]
    await uow.commit()
    log.info("ticket_escalated", extra={"ticket_id": ticket.id, "step": step, "point": point.key})
    return Fired(ticket.id, step, point, tuple(m.id for m in messages), ticket.next_escalation_at)


def _payload(ticket: Ticket, step: int, point: EscalationPoint) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "radicado": ticket.radicado,
        "status": ticket.status,
        "dependencia_id": ticket.dependencia_id,
        "assignee_id": ticket.assignee_id,
        "due_date": ticket.due_date.isoformat(),
        "step": step,
        "point": point.key,
        "tier": int(point.tier),
        "label": point.label,
    }


# -- jobs ------------------------------------------------------------------------------------------


async def sweep_job(ctx: JobContext) -> None:
    """The periodic sweep (every minute): due rows become escalation jobs; outbound messages never
    attempted or abandoned mid-send (their job lost with a process or Redis), due for another try
    after a failure, or waiting for a channel configured now get a delivery job; an unfinished
    rescheduling after a policy change is enqueued again."""
    async with ctx.uow() as uow:
        await sweep(uow, ctx.jobs)
        pending = await redrivable(uow, configured_channels(ctx.settings))
        revision = await unfinished_reschedule(uow)
    await enqueue_all(ctx.jobs, [(DELIVER_JOB, (r.outbound_id,), r.job_id) for r in pending])
    if revision is not None:
        await start_reschedule(ctx.jobs, revision)
    async with ctx.uow() as uow:  # expired idempotency records and abuse-limit counters
        await housekeeping.purge(uow, ctx.settings)
        await uow.commit()


async def escalate_job(ctx: JobContext, ticket_id: int, step: int) -> None:
    """Fire one escalation step, then hand its e-mails to delivery jobs and chain a next due step."""
    async with ctx.uow() as uow:
        fired = await escalate(uow, int(ticket_id), int(step))
    if fired is None:
        return
    for message_id in fired.message_ids:
        await ctx.jobs.enqueue(DELIVER_JOB, message_id, job_id=f"msg:{message_id}")
    if fired.next_at is not None and fired.next_at <= ctx.clock.now():
        # A point came due while this one fired (a run across its instant): fire it now.
        await ctx.jobs.enqueue(
            ESCALATE_JOB,
            fired.ticket_id,
            fired.step + 1,
            job_id=escalate_job_id(fired.ticket_id, fired.step + 1),
        )
