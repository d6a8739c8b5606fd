"""A waiting conversation's place in line and its estimated wait, as the database says.

The line is the queue's waiting items ordered as the core orders them: effective priority (higher
first), then the original arrival. The estimate is throughput-based (Little's law): if the queue
handed out k items in the last half hour, the n-th in line waits about n / k of that half hour;
with no recent answers there is no estimate (None), rather than a made-up number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from contact_center.core.db.routing_models import WorkItem
from contact_center.core.uow import UnitOfWork
from routing import notices

WINDOW = timedelta(minutes=30)
# Pushing every waiting caller's new place costs one row each; beyond this many only the head of
# the line hears at once (the rest learn their place on the next change that reaches them).
PUSH_LIMIT = 200


def _ahead_of(row: WorkItem) -> object:
    return or_(
        WorkItem.effective_priority > row.effective_priority,
        and_(
            WorkItem.effective_priority == row.effective_priority,
            or_(
                WorkItem.enqueued_at < row.enqueued_at,
                and_(WorkItem.enqueued_at == row.enqueued_at, WorkItem.id < row.id),
            ),
        ),
    )


async def eta_seconds(uow: UnitOfWork, queue_id: int, position: int) -> int | None:
    answered = await uow.session.scalar(_answered_lately(uow, queue_id))
    return _eta(position, answered)


def _answered_lately(uow: UnitOfWork, queue_id: int) -> Any:
    since = uow.clock.now() - WINDOW
    return select(func.count()).where(WorkItem.queue_id == queue_id, WorkItem.assigned_at >= since)


def _eta(position: int, answered: int | None) -> int | None:
    if not answered:
        return None
    return math.ceil(position * WINDOW.total_seconds() / answered)


async def of_conversation(uow: UnitOfWork, conversation_id: int) -> tuple[int, int | None] | None:
    row = await uow.session.scalar(
        select(WorkItem).where(WorkItem.conversation_id == conversation_id, WorkItem.status == "waiting")
    )
    if row is None:
        return None
    return await _place(uow, row)


async def _place(uow: UnitOfWork, row: WorkItem) -> tuple[int, int | None]:
    """The row's place in its line and its estimate, in one statement (two counts)."""
    ahead = select(func.count()).where(
        WorkItem.queue_id == row.queue_id,
        WorkItem.channel == row.channel,
        WorkItem.status == "waiting",
        _ahead_of(row),  # type: ignore[arg-type]
    )
    answered = _answered_lately(uow, row.queue_id)
    counts = (await uow.session.execute(select(ahead.scalar_subquery(), answered.scalar_subquery()))).one()
    position = int(counts[0] or 0) + 1
    return position, _eta(position, counts[1])


async def push_one(uow: UnitOfWork, row: WorkItem) -> None:
    """Tell a conversation just put in line its place (the row is at hand: not read again)."""
    if row.conversation_id is None:
        return
    uow.emit(notices.queue_position(row.conversation_id, *await _place(uow, row)))


async def push_queues(uow: UnitOfWork, queue_ids: Iterable[int]) -> None:
    """Tell the waiting conversations of these queues their (new) place."""
    for queue_id in sorted(set(queue_ids)):
        rows = (
            await uow.session.execute(
                select(WorkItem.conversation_id)
                .where(
                    WorkItem.queue_id == queue_id,
                    WorkItem.status == "waiting",
                    WorkItem.conversation_id.is_not(None),
                )
                .order_by(WorkItem.effective_priority.desc(), WorkItem.enqueued_at, WorkItem.id)
                .limit(PUSH_LIMIT)
            )
        ).all()
        if not rows:
            continue
        rate = await eta_seconds(uow, queue_id, 1)
        for position, (conversation_id,) in enumerate(rows, start=1):
            eta = None if rate is None else rate * position
            uow.emit(notices.queue_position(conversation_id or 0, position, eta))
