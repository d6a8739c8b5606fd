"""Two router "processes" on one real PostgreSQL: each with its own connection pool, unit-of-work
factory, notifier and engine, sharing nothing but the database (and a fake clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from contact_center.core.clock import FakeClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Official, OfficialCapacity, OfficialSkill, Queue, QueueSkill
from contact_center.core.db.routing_models import RoutingOffer, RoutingSettings, WorkItem
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from routing.bus import Change, RoutingNotifier
from routing.engine import RoutingEngine
from routing.service import RouterService


@dataclass
class Process:
    name: str
    db: AsyncEngine
    uow: UnitOfWorkFactory
    engine: RoutingEngine
    router: RouterService
    notifier: RoutingNotifier
    alive: bool = True


@dataclass
class Cluster:
    """Changes reach the process that made them at once and the others only when `deliver()` is
    called: a NOTIFY still in flight, so the other engine decides on a stale cache and the
    database has to arbitrate."""

    processes: list[Process] = field(default_factory=list)
    pending: dict[str, list[Change]] = field(default_factory=dict)

    def alive(self) -> list[Process]:
        return [p for p in self.processes if p.alive]

    def heard_by(self, origin: str) -> Callable[[Change], None]:
        def hear(change: Change) -> None:
            for p in self.alive():
                if p.name == origin:
                    p.engine.kick(change)
                else:
                    self.pending.setdefault(p.name, []).append(change)

        return hear

    def deliver(self) -> None:
        for p in self.alive():
            for change in self.pending.pop(p.name, []):
                p.engine.kick(change)


def start_process(cluster: Cluster, url: str, clock: FakeClock, name: str) -> Process:
    db = create_engine(url, pool_size=4)
    notifier = RoutingNotifier(RecordingNotifier())
    uow = UnitOfWorkFactory(session_factory(db), notifier, clock)
    engine = RoutingEngine(uow, origin=name, stats_interval=3600)
    notifier.listeners.append(cluster.heard_by(name))
    process = Process(name, db, uow, engine, RouterService(engine.setup_for, name), notifier)
    cluster.processes.append(process)
    return process


async def set_tunables(uow: UnitOfWork, offer_seconds: float, misses: int, wrap_up: float) -> None:
    await uow.session.execute(text("DELETE FROM routing_settings"))
    uow.session.add(
        RoutingSettings(
            id=1,
            offer_timeout_seconds=offer_seconds,
            missed_offers_before_away=misses,
            wrap_up_seconds=wrap_up,
            updated_at=uow.clock.now(),
        )
    )


async def capacity_problems(uow: UnitOfWork) -> list[str]:
    rows = await uow.session.execute(
        text(
            "SELECT w.official_id, w.channel, count(*), coalesce(max(c.capacity), 0) FROM work_items w"
            " LEFT JOIN official_capacities c ON c.official_id = w.official_id AND c.channel = w.channel"
            " WHERE w.status IN ('offered', 'assigned') GROUP BY w.official_id, w.channel"
        )
    )
    return [f"official {o} holds {n} on {ch} (capacity {cap})" for o, ch, n, cap in rows if n > cap]


async def reservation_problems(uow: UnitOfWork) -> list[str]:
    problems = []
    offers = (await uow.session.scalars(select(RoutingOffer).where(RoutingOffer.status == "offered"))).all()
    by_item: dict[int, list[RoutingOffer]] = {}
    for offer in offers:
        by_item.setdefault(offer.work_item_id, []).append(offer)
    items = (
        await uow.session.scalars(select(WorkItem).where(WorkItem.status.in_(("offered", "waiting"))))
    ).all()
    for item in items:
        outstanding = by_item.pop(item.id, [])
        if item.status == "offered":
            if len(outstanding) != 1 or outstanding[0].official_id != item.official_id:
                problems.append(f"item {item.id} offered to {item.official_id} with offers {outstanding}")
        elif outstanding:
            problems.append(f"waiting item {item.id} has outstanding offers")
    problems.extend(f"offer on item {i} that is not offered" for i in by_item)
    return problems


async def expired_outstanding(uow: UnitOfWork) -> int:
    now = uow.clock.now()
    count = await uow.session.scalar(
        select(text("count(*)"))
        .select_from(RoutingOffer)
        .where(RoutingOffer.status == "offered", RoutingOffer.expires_at <= now)
    )
    return int(count or 0)


async def stranded(uow: UnitOfWork) -> list[str]:
    """Waiting items while an eligible official is ready with room on the item's channel."""
    now = uow.clock.now()
    officials = (await uow.session.scalars(select(Official).where(Official.presence == "available"))).all()
    ready = [o for o in officials if o.wrap_up_until is None or o.wrap_up_until <= now]
    skills = {
        (s.official_id, s.skill_id): s.level for s in (await uow.session.scalars(select(OfficialSkill))).all()
    }
    caps = {
        (c.official_id, c.channel): c.capacity
        for c in (await uow.session.scalars(select(OfficialCapacity))).all()
    }
    required = {}
    for q in (await uow.session.scalars(select(Queue))).all():
        required[q.id] = [
            (s.skill_id, s.min_level)
            for s in (await uow.session.scalars(select(QueueSkill).where(QueueSkill.queue_id == q.id))).all()
        ]
    held = dict(
        ((o, ch), n)
        for o, ch, n in await uow.session.execute(
            text(
                "SELECT official_id, channel, count(*) FROM work_items"
                " WHERE status IN ('offered','assigned') GROUP BY 1, 2"
            )
        )
    )
    problems = []
    for item in (await uow.session.scalars(select(WorkItem).where(WorkItem.status == "waiting"))).all():
        for o in ready:
            room = caps.get((o.id, item.channel), 0) - held.get((o.id, item.channel), 0)
            skilled = all(skills.get((o.id, s), 0) >= lvl for s, lvl in required[item.queue_id])
            if room > 0 and skilled:
                problems.append(f"item {item.id} waits while official {o.id} is free")
                break
    return problems
