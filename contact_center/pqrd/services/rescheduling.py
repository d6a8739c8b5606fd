"""Rescheduling every open ticket's next escalation after the policy changed, batch after batch
(`escalation_policy.save_policy` records the revision; the job and the sweep drive it here)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from contact_center.core.db.models import Ticket
from contact_center.core.jobs.port import JobContext
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.services.escalation import reschedule_many
from contact_center.pqrd.services.escalation_policy import (
    _RUNNING,
    RESCHEDULE_BATCH,
    RESCHEDULE_KEY,
    load_policy,
    put_setting,
    reschedule_progress,
)

log = logging.getLogger(__name__)


async def reschedule_batch(uow: UnitOfWork, revision: int, limit: int = RESCHEDULE_BATCH) -> bool:
    """Reschedule the next batch of tickets for `revision`; commits. False when nothing is left
    (finished, or superseded by a newer revision)."""
    progress = await reschedule_progress(uow)
    if progress is None or progress.revision != revision or progress.done:
        return False
    query = (
        select(Ticket)
        .where(Ticket.id > progress.after_id, Ticket.status.in_(_RUNNING))
        .order_by(Ticket.id)
        .limit(limit)
        .with_for_update()  # PostgreSQL: wait for a status change in flight, never overwrite it
    )
    tickets = list((await uow.session.scalars(query)).all())
    await reschedule_many(uow, tickets, await load_policy(uow))
    done = len(tickets) < limit
    after = tickets[-1].id if tickets else progress.after_id
    value = {
        "revision": revision,
        "after_id": after,
        "tickets": progress.tickets + len(tickets),
        "done": done,
    }
    await put_setting(uow, RESCHEDULE_KEY, value, None)
    await uow.commit()
    return not done


async def reschedule_job(ctx: JobContext, revision: int) -> None:
    """Job: reschedule every ticket whose clock runs for policy `revision`, batch after batch."""
    more = True
    while more:
        async with ctx.uow() as uow:
            more = await reschedule_batch(uow, int(revision), RESCHEDULE_BATCH)
    log.info("escalation_rescheduled", extra={"revision": int(revision)})
