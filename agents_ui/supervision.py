"""The supervisor dashboard's data: queues, officials, PQRDs by days left, escalations.

`dashboard(uow, queue_stats)` builds one snapshot from the database; `SupervisorFeed` (one task
per web process) recomputes it only after something a supervisor sees may have changed (`changed()`,
called after a commit in this process or on another process's routing NOTIFY), at most once per
`interval`, plus a slow `refresh` for the figures that move with time alone (longest wait, time in
state, days left) and for changes no signal reaches. It pushes to the supervisors connected to that
process only when the snapshot changed, so a supervisor gets at most `1 / interval` updates a
second, the browser never polls, and a quiet contact center costs no queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import (
    Conversation,
    Dependencia,
    Official,
    OfficialCapacity,
    Queue,
    Ticket,
)
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.calendar import BusinessCalendar, bogota_date
from contact_center.pqrd.domain.tickets import OPEN_STATUSES
from contact_center.pqrd.services.tickets import load_clock

log = logging.getLogger(__name__)
WAITING = ("queued", "offered")
ATTENDING = ("active", "wrap_up")
QueueStats = Callable[[UnitOfWork], Awaitable[list[dict[str, Any]]]]


async def dashboard(uow: UnitOfWork, queue_stats: QueueStats | None = None) -> dict[str, Any]:
    """One snapshot of everything the dashboard shows."""
    now = uow.clock.now()
    return {
        "generated_at": now.isoformat(),
        "queues": await (queue_stats or database_queue_stats)(uow),
        "officials": await officials(uow, now),
        "pqrd": await pqrd_by_days_left(uow, now),
        "escalations": await escalations(uow),
    }


async def database_queue_stats(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Queue figures from the conversations table (used when the router offers none)."""
    now = uow.clock.now()
    day_start = datetime.combine(bogota_date(now), datetime.min.time(), BOGOTA)
    waiting = dict(
        (
            await uow.session.execute(
                select(Conversation.queue_id, func.count())
                .where(Conversation.state.in_(WAITING))
                .group_by(Conversation.queue_id)
            )
        ).all()
    )
    oldest = dict(
        (
            await uow.session.execute(
                select(Conversation.queue_id, func.min(Conversation.started_at))
                .where(Conversation.state.in_(WAITING))
                .group_by(Conversation.queue_id)
            )
        ).all()
    )
    answered = (
        await uow.session.execute(
            select(Conversation.queue_id, Conversation.started_at, Conversation.answered_at).where(
                Conversation.answered_at >= day_start
            )
        )
    ).all()
    queues = (await uow.session.scalars(select(Queue).order_by(Queue.id))).all()
    out = []
    for q in queues:
        mine = [(s, a) for qid, s, a in answered if qid == q.id]
        within = sum(
            1 for s, a in mine if a is not None and (a - s).total_seconds() <= q.sl_threshold_seconds
        )
        first = oldest.get(q.id)
        out.append(
            {
                "id": q.id,
                "code": q.code,
                "name": q.name,
                "waiting": int(waiting.get(q.id, 0)),
                "longest_wait_seconds": int((now - first).total_seconds()) if first else 0,
                "answered_today": len(mine),
                "service_level": round(100 * within / len(mine), 1) if mine else None,
                "sl_target_percent": q.sl_target_percent,
            }
        )
    return out


async def officials(uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """Officials with their state, seconds in it, and current load against capacity per channel."""
    rows = (
        await uow.session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.name))
    ).all()
    load = dict(
        (
            await uow.session.execute(
                select(Conversation.official_id, func.count())
                .where(Conversation.state.in_(ATTENDING))
                .group_by(Conversation.official_id)
            )
        ).all()
    )
    tickets = dict(
        (
            await uow.session.execute(
                select(Ticket.assignee_id, func.count())
                .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
                .group_by(Ticket.assignee_id)
            )
        ).all()
    )
    capacity = (await uow.session.execute(select(OfficialCapacity))).scalars().all()
    caps: dict[int, dict[str, int]] = {}
    for c in capacity:
        caps.setdefault(c.official_id, {})[c.channel] = c.capacity
    return [
        {
            "id": o.id,
            "name": o.name,
            "role": o.role,
            "dependencia_id": o.dependencia_id,
            "presence": o.presence,
            "away_reason": o.away_reason,
            "in_state_seconds": int((now - o.presence_since).total_seconds()) if o.presence_since else None,
            "load": {"conversations": int(load.get(o.id, 0)), "pqrd": int(tickets.get(o.id, 0))},
            "capacity": caps.get(o.id, {}),
        }
        for o in rows
    ]


def band(calendar: BusinessCalendar, today: date, due: date) -> str | None:
    """overdue / today / two_days (≤ 2 business days left), or None when further away."""
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    return "two_days" if calendar.business_days_between(today, due) <= 2 else None


async def pqrd_by_days_left(uow: UnitOfWork, now: datetime) -> list[dict[str, Any]]:
    """Per dependencia, open PQRDs overdue, due today and with at most two business days left."""
    today = bogota_date(now)
    horizon = today + timedelta(days=12)  # two business days never lie further than this
    calendar = (await load_clock(uow)).calendar
    rows = (
        await uow.session.execute(
            select(Ticket.dependencia_id, Ticket.due_date).where(
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                Ticket.status != "suspendido",
                Ticket.due_date <= horizon,
            )
        )
    ).all()
    deps = (await uow.session.scalars(select(Dependencia).order_by(Dependencia.name))).all()
    counts = {d.id: {"overdue": 0, "today": 0, "two_days": 0} for d in deps}
    for dependencia_id, due in rows:
        which = band(calendar, today, due)
        if which is not None and dependencia_id in counts:
            counts[dependencia_id][which] += 1
    return [{"dependencia_id": d.id, "code": d.code, "name": d.name, **counts[d.id]} for d in deps]


async def escalations(uow: UnitOfWork, limit: int = 20) -> list[dict[str, Any]]:
    """Open PQRDs that have reached an escalation step, most urgent first."""
    rows = (
        await uow.session.scalars(
            select(Ticket)
            .where(Ticket.escalation_step > 0, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(Ticket.due_date)
            .limit(limit)
        )
    ).all()
    return [
        {
            "id": t.id,
            "radicado": t.radicado,
            "subject": t.subject,
            "dependencia_id": t.dependencia_id,
            "assignee_id": t.assignee_id,
            "due_date": t.due_date.isoformat(),
            "step": t.escalation_step,
        }
        for t in rows
    ]


def fingerprint(snapshot: dict[str, Any]) -> str:
    """What changed, ignoring the time of computation and the seconds-in-state counters."""
    stable = {k: v for k, v in snapshot.items() if k not in ("generated_at", "history", "service_levels")}
    stable["officials"] = [
        {k: v for k, v in o.items() if k != "in_state_seconds"} for o in stable["officials"]
    ]
    stable["queues"] = [{k: v for k, v in q.items() if k != "longest_wait_seconds"} for q in stable["queues"]]
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def overall_service_level(queues: list[dict[str, Any]]) -> float | None:
    """All queues together: each queue's service level weighted by the contacts it handled today
    (answered plus abandoned), None before the first of the day."""
    weighted = handled = 0.0
    for q in queues:
        if q.get("service_level") is None:
            continue
        count = float(q.get("answered", q.get("answered_today", 0)) or 0) + float(q.get("abandoned", 0) or 0)
        weighted += float(q["service_level"]) * count
        handled += count
    return round(weighted / handled, 1) if handled else None


class ServiceLevelSeries:
    """The day's service level, one sample a minute (the newest value of that minute), kept in a ring
    per process and started afresh at midnight in Bogotá."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.samples: deque[tuple[float, float | None]] = deque(maxlen=int(86_400 / every) + 1)
        self._day: date | None = None

    def add(self, now: float, level: float | None) -> None:
        day = datetime.fromtimestamp(now, BOGOTA).date()
        if day != self._day:
            self.samples.clear()
            self._day = day
        if self.samples and now - self.samples[-1][0] < self.every:
            self.samples[-1] = (self.samples[-1][0], level)
        else:
            self.samples.append((now, level))

    def points(self) -> list[list[Any]]:
        """[[unix seconds, percent or None], ...], oldest first."""
        return [[round(t), level] for t, level in self.samples]


Emit = Callable[[dict[str, Any]], Awaitable[None]]


class SupervisorFeed:
    """One per process. While a local supervisor listens: recompute after `changed()` (coalesced to
    one snapshot per `interval` seconds) and every `refresh` seconds regardless, push the snapshot
    when it changed (and at least every `heartbeat` seconds, for the time counters). With nobody
    listening it still samples once a minute, so the day's service-level chart has no holes when a
    supervisor opens the dashboard."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        emit: Emit,
        listeners: Callable[[], int],
        queue_stats: Callable[[], QueueStats | None],
        interval: float = 0.4,
        heartbeat: float = 10.0,
        refresh: float = 5.0,
    ) -> None:
        self.uow, self.emit, self.listeners, self.queue_stats = uow, emit, listeners, queue_stats
        self.interval, self.heartbeat, self.refresh = interval, heartbeat, refresh
        self.latest: dict[str, Any] | None = None
        self.history: deque[tuple[float, int]] = deque(maxlen=3600)  # (unix time, waiting), last hour
        self.service_levels = ServiceLevelSeries()
        self._last_tick = 0.0
        self._last_print = ""
        self._last_sent = 0.0
        self._task: asyncio.Task[None] | None = None
        self._slow: dict[str, Any] | None = None
        self._slow_at = 0.0
        self.slow_every = 5.0
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """Something a supervisor sees may have changed (called after the change committed)."""
        self._changed.set()

    async def current(self) -> dict[str, Any]:
        """The newest snapshot (computed now if none is current), with the waiting history."""
        return self.latest if self.latest is not None else await self.tick(force=True)

    async def tick(self, force: bool = False) -> dict[str, Any]:
        now = time.time()
        # Cleared before reading: a change committed while this snapshot is read marks it again.
        self._changed.clear()
        async with self.uow() as uow:
            snapshot: dict[str, Any] = {
                "generated_at": uow.clock.now().isoformat(),
                "queues": await (self.queue_stats() or database_queue_stats)(uow),
                "officials": await officials(uow, uow.clock.now()),
            }
            # Days left and escalations move by the day or by the sweep: recomputed every few seconds.
            if force or self._slow is None or now - self._slow_at >= self.slow_every:
                self._slow = {
                    "pqrd": await pqrd_by_days_left(uow, uow.clock.now()),
                    "escalations": await escalations(uow),
                }
                self._slow_at = now
        snapshot.update(self._slow)
        waiting = sum(int(q.get("waiting", 0)) for q in snapshot["queues"])
        if self.history and now - self.history[-1][0] < 1.0:
            self.history[-1] = (self.history[-1][0], waiting)  # one point a second, the newest value
        else:
            self.history.append((now, waiting))
        snapshot["history"] = [[round(t), w] for t, w in self.history if now - t <= 3600]
        self.service_levels.add(now, overall_service_level(snapshot["queues"]))
        snapshot["service_levels"] = self.service_levels.points()
        self._last_tick = now
        self.latest = snapshot
        print_ = fingerprint(snapshot)
        if force or print_ != self._last_print or now - self._last_sent >= self.heartbeat:
            self._last_print, self._last_sent = print_, now
            await self.emit(snapshot)
        return snapshot

    def _due(self, listening: bool) -> bool:
        """Whether to recompute now: a change or the refresh while listened to, else the sample."""
        age = time.time() - self._last_tick
        if listening:
            return self._changed.is_set() or age >= self.refresh
        return age >= self.service_levels.every

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            listening = self.listeners() > 0
            if not listening:
                self.latest = None  # whoever joins next gets a snapshot of that moment
                self._changed.clear()  # a change matters only while a supervisor sees it
            if self._due(listening):
                try:
                    await self.tick()
                    if not listening:
                        self.latest = None  # a sample only
                except Exception:
                    log.exception("supervisor_feed_failed")
            # Coalescing: at most one snapshot per `interval`, however many changes arrive.
            await asyncio.sleep(max(0.05, self.interval - (time.monotonic() - started)))
            # Then wait for a change; wake each second anyway (the refresh, a supervisor joining).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 1.0)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="supervisor-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
