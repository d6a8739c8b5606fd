"""Live queue statistics for supervisors (`GET /api/v1/stats/queues` and `stats.queues`).

Figures are read from the database with a handful of grouped queries, so every process (and every
supervisor) sees the same numbers however many web processes there are; engines push them at most
once a second after a change. Daily figures reset at midnight in Bogotá, as the peers' do.

* service level: answered within the queue's threshold / (answered + abandoned after the
  threshold), in percent; short abandons (before the threshold) are left out; None before the
  first answer or abandon of the day.
* average speed of answer: mean wait of today's answered items, in seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select

from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import Queue
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.uow import UnitOfWork
from routing.core import Presence
from routing.core.config import compile_queue, meets
from routing.persistence import Setup, official_snapshots
from routing.queue_hours import opening_now


@dataclass(frozen=True)
class QueueStats:
    id: int
    code: str
    name: str
    waiting: int
    longest_wait_seconds: float
    officials: dict[str, int]
    service_level: float | None
    service_level_target: dict[str, float]
    offers: dict[str, int]
    answered: int
    abandoned: int
    average_speed_of_answer_seconds: float | None
    open: bool = True  # within its business hours now (routing.hours)
    next_open: str | None = None  # when closed: its next opening, ISO 8601 (JSON as it stands)
    extra: dict[str, float] = field(default_factory=dict)


def start_of_day(now: datetime) -> datetime:
    local = now.astimezone(BOGOTA)
    return datetime.combine(local.date(), time(0), tzinfo=BOGOTA)


async def queue_stats(uow: UnitOfWork, setup: Setup) -> list[QueueStats]:
    now = uow.clock.now()
    today = start_of_day(now)
    waiting = await _waiting(uow)
    daily = await _today(uow, setup, today)
    offers = await _offers(uow, today)
    staff = await _staff_states(uow, setup, now)
    out = []
    for queue in setup.queues.values():
        count, oldest = waiting.get(queue.id, (0, None))
        day = daily.get(queue.id, _Daily())
        threshold = queue.sl_threshold_seconds
        handled = day.answered + day.long_abandons
        hours = await opening_now(uow, queue.hours)
        out.append(
            QueueStats(
                id=queue.id,
                code=queue.code,
                name=queue.name,
                waiting=count,
                longest_wait_seconds=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
                officials=staff.get(queue.code, _empty_staff()),
                service_level=round(100.0 * day.within / handled, 1) if handled else None,
                service_level_target={"threshold_seconds": threshold, "percent": queue.sl_target_percent},
                offers={s: offers[(queue.id, s)] for s in ("accepted", "rejected", "timed_out", "revoked")},
                answered=day.answered,
                abandoned=day.abandoned,
                average_speed_of_answer_seconds=(
                    round(day.wait_sum / day.answered, 1) if day.answered else None
                ),
                open=hours.open,
                next_open=hours.next_open.isoformat() if hours.next_open else None,
            )
        )
    return out


async def _waiting(uow: UnitOfWork) -> dict[int, tuple[int, datetime | None]]:
    rows = await uow.session.execute(
        select(WorkItem.queue_id, func.count(), func.min(WorkItem.enqueued_at))
        .where(WorkItem.status == "waiting")
        .group_by(WorkItem.queue_id)
    )
    out: dict[int, tuple[int, datetime | None]] = {}
    for queue_id, count, oldest in rows:
        out[queue_id] = (count, oldest)  # MIN() keeps the column's type: an aware datetime
    return out


@dataclass
class _Daily:
    """One queue's answers and abandons of the day, aggregated."""

    answered: int = 0
    within: int = 0  # answered within the queue's threshold
    wait_sum: float = 0.0  # seconds, over the answered
    abandoned: int = 0
    long_abandons: int = 0  # abandoned after the threshold


async def _today(uow: UnitOfWork, setup: Setup, today: datetime) -> dict[int, _Daily]:
    """Counted by the database on PostgreSQL (a row per queue, however many items the day had:
    engines send these figures every second); on SQLite the waits are summed here."""
    if uow.session.get_bind().dialect.name == "postgresql":
        return await _today_in_sql(uow, today)
    daily: dict[int, _Daily] = defaultdict(_Daily)
    thresholds = {q.id: q.sl_threshold_seconds for q in setup.queues.values()}
    rows = await uow.session.execute(
        select(WorkItem.queue_id, WorkItem.enqueued_at, WorkItem.assigned_at).where(
            WorkItem.assigned_at >= today
        )
    )
    for queue_id, enqueued_at, assigned_at in rows:
        assert assigned_at is not None  # the filter says so
        wait = (assigned_at - enqueued_at).total_seconds()
        day = daily[queue_id]
        day.answered += 1
        day.wait_sum += wait
        day.within += wait <= thresholds.get(queue_id, 0)
    rows = await uow.session.execute(
        select(WorkItem.queue_id, WorkItem.enqueued_at, WorkItem.ended_at).where(
            WorkItem.status == "abandoned", WorkItem.ended_at >= today
        )
    )
    for queue_id, enqueued_at, ended_at in rows:
        assert ended_at is not None
        day = daily[queue_id]
        day.abandoned += 1
        day.long_abandons += (ended_at - enqueued_at).total_seconds() >= thresholds.get(queue_id, 0)
    return daily


async def _today_in_sql(uow: UnitOfWork, today: datetime) -> dict[int, _Daily]:
    daily: dict[int, _Daily] = defaultdict(_Daily)
    threshold = Queue.sl_threshold_seconds
    wait = func.extract("epoch", WorkItem.assigned_at - WorkItem.enqueued_at)
    answered = (
        select(WorkItem.queue_id, func.count(), func.count().filter(wait <= threshold), func.sum(wait))
        .join(Queue, Queue.id == WorkItem.queue_id)
        .where(WorkItem.assigned_at >= today)
        .group_by(WorkItem.queue_id)
    )
    for queue_id, count, within, wait_sum in await uow.session.execute(answered):
        daily[queue_id] = _Daily(count, within, float(wait_sum or 0))
    waited = func.extract("epoch", WorkItem.ended_at - WorkItem.enqueued_at)
    abandoned = (
        select(WorkItem.queue_id, func.count(), func.count().filter(waited >= threshold))
        .join(Queue, Queue.id == WorkItem.queue_id)
        .where(WorkItem.status == "abandoned", WorkItem.ended_at >= today)
        .group_by(WorkItem.queue_id)
    )
    for queue_id, count, long_abandons in await uow.session.execute(abandoned):
        daily[queue_id].abandoned = count
        daily[queue_id].long_abandons = long_abandons
    return daily


async def _offers(uow: UnitOfWork, today: datetime) -> Counter[tuple[int, str]]:
    rows = await uow.session.execute(
        select(RoutingOffer.queue_id, RoutingOffer.status, func.count())
        .where(RoutingOffer.created_at >= today)
        .group_by(RoutingOffer.queue_id, RoutingOffer.status)
    )
    return Counter({(queue_id, status): count for queue_id, status, count in rows})


def _empty_staff() -> dict[str, int]:
    return dict.fromkeys(("available", "busy", "wrap_up", "away", "offline"), 0)


async def _staff_states(uow: UnitOfWork, setup: Setup, now: datetime) -> dict[str, dict[str, int]]:
    """Officials who meet each queue's base requirement, by state."""
    # The snapshots carry each official's held load and wrap-up end: two statements in all.
    snapshots = await official_snapshots(uow)
    compiled = [compile_queue(q) for q in setup.config.queues]
    out: dict[str, dict[str, int]] = {q.queue_id: _empty_staff() for q in compiled}
    for snap in snapshots:
        in_wrap_up = snap.wrap_up_until is not None and snap.wrap_up_until > now
        state = _state(snap.presence, in_wrap_up, sum(snap.load.values()))
        for queue in compiled:
            if meets(snap.skills, queue.stages[0]):
                out[queue.queue_id][state] += 1
    return out


def _state(presence: Presence, in_wrap_up: bool, held: int) -> str:
    if presence is Presence.AVAILABLE:
        if in_wrap_up:
            return "wrap_up"
        return "busy" if held else "available"
    return presence.value


def stats_payload(figures: list[QueueStats]) -> dict[str, Any]:
    """The JSON of `GET /api/v1/stats/queues` and of the `stats.queues` event."""
    return {"queues": [_queue_json(q) for q in figures]}


def _queue_json(q: QueueStats) -> dict[str, Any]:
    out = asdict(q)
    out.pop("extra")
    return out
