"""Reading the router's state from the database into the shapes the pure core takes.

Every engine builds its `RoutingCore` from these reads (cold start, resync) and refreshes single
officials and items from them when told that they changed. Nothing here decides; it only reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all

from contact_center.core.db.models import (
    Official,
    OfficialCapacity,
    OfficialSkill,
    Queue,
    QueueSkill,
    Skill,
)
from contact_center.core.db.routing_models import RoutingSettings, WorkItem
from contact_center.core.uow import UnitOfWork
from routing.core import Channel, OfficialSnapshot, Presence, QueueConfig, RoutingConfig
from routing.core import WorkItem as CoreItem
from routing.hours import ALWAYS_OPEN, WeeklyHours
from routing.queue_hours import hours_of

HELD = ("offered", "assigned")  # statuses that count on an official's capacity
LIVE = ("waiting", *HELD)


@dataclass(frozen=True)
class Tunables:
    """The administrator's settings of the router (`routing_settings`)."""

    offer_timeout_seconds: float = 20.0
    missed_offers_before_away: int = 1
    wrap_up_seconds: float = 30.0


@dataclass(frozen=True)
class QueueInfo:
    id: int
    code: str
    name: str
    priority: int
    sl_threshold_seconds: int
    sl_target_percent: int
    hours: WeeklyHours = ALWAYS_OPEN  # business hours (routing.hours), checked by routing.queue_hours


@dataclass(frozen=True)
class Setup:
    """Everything the core is configured with; an engine rebuilds its core when this changes."""

    config: RoutingConfig
    tunables: Tunables
    queues: dict[int, QueueInfo]

    def queue_by_code(self, code: str) -> QueueInfo | None:
        return next((q for q in self.queues.values() if q.code == code), None)


async def load_tunables(uow: UnitOfWork) -> Tunables:
    row = await uow.session.get(RoutingSettings, 1)
    if row is None:
        return Tunables()
    return Tunables(row.offer_timeout_seconds, row.missed_offers_before_away, row.wrap_up_seconds)


async def load_setup(uow: UnitOfWork) -> Setup:
    tunables = await load_tunables(uow)
    queues = (await uow.session.scalars(select(Queue).order_by(Queue.id))).all()
    required: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await uow.session.execute(
        select(QueueSkill.queue_id, Skill.code, QueueSkill.min_level).join(
            Skill, Skill.id == QueueSkill.skill_id
        )
    )
    for queue_id, skill, level in rows:
        required[queue_id][skill] = level
    configs = tuple(
        QueueConfig.model_validate(
            {
                "queue_id": q.code,
                "required_skills": required[q.id],
                "priority": q.priority,
                "service_level": {
                    "threshold_seconds": q.sl_threshold_seconds,
                    "percent": q.sl_target_percent,
                },
                "steps": list(q.steps or []),
                "wrap_up_seconds": tunables.wrap_up_seconds,
            }
        )
        for q in queues
    )
    config = RoutingConfig(queues=configs, missed_offers_before_away=tunables.missed_offers_before_away)
    infos = {
        q.id: QueueInfo(
            q.id, q.code, q.name, q.priority, q.sl_threshold_seconds, q.sl_target_percent, hours_of(q)
        )
        for q in queues
    }
    return Setup(config, tunables, infos)


async def official_loads(uow: UnitOfWork, ids: Sequence[int] | None = None) -> dict[int, dict[str, int]]:
    """Offered plus assigned items per official and channel: what counts against capacity."""
    query = (
        select(WorkItem.official_id, WorkItem.channel, func.count())
        .where(WorkItem.status.in_(HELD))
        .group_by(WorkItem.official_id, WorkItem.channel)
    )
    if ids is not None:
        query = query.where(WorkItem.official_id.in_(ids))
    loads: dict[int, dict[str, int]] = defaultdict(dict)
    for official_id, channel, count in await uow.session.execute(query):
        if official_id is not None:
            loads[official_id][channel] = count
    return loads


async def official_snapshots(uow: UnitOfWork, ids: Sequence[int] | None = None) -> list[OfficialSnapshot]:
    """Active officials as the core sees them (ids None: all of them). Two statements: the
    officials' rows, then their skills, capacities and held loads in one `UNION ALL`."""
    query = select(*SNAPSHOT_COLUMNS).where(Official.active.is_(True))
    if ids is not None:
        query = query.where(Official.id.in_(ids))
    officials = (await uow.session.execute(query)).all()
    facts = await official_facts(uow, [o.id for o in officials], skills=True)
    return [
        snapshot_of(o, facts.skills.get(o.id, {}), facts.capacity.get(o.id, {}), facts.load.get(o.id, {}))
        for o in officials
    ]


# The officials' columns a snapshot (and a claim) needs: a Core row, not an ORM object, because the
# engine reads them on every pass and the ORM's identity map costs more than the query.
SNAPSHOT_COLUMNS = (
    Official.id,
    Official.active,
    Official.presence,
    Official.away_reason,
    Official.wrap_up_until,
    Official.idle_since,
    Official.presence_since,
    Official.created_at,
)


def snapshot_of(
    row: Any, skills: dict[str, int], capacity: dict[str, int], load: dict[str, int]
) -> OfficialSnapshot:
    """The core's view of one official from a row of `SNAPSHOT_COLUMNS` and its facts."""
    return OfficialSnapshot(
        official_id=str(row.id),
        skills=skills,
        capacity=_channels(capacity),
        load=_channels(load),
        presence=Presence(row.presence),
        away_reason=row.away_reason,
        wrap_up_until=row.wrap_up_until,
        idle_since=row.idle_since or row.presence_since or row.created_at,
    )


@dataclass
class OfficialFacts:
    """Per official: skill levels, capacity per channel and held (offered + assigned) load."""

    skills: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    capacity: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    load: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))


async def official_facts(uow: UnitOfWork, ids: Sequence[int], *, skills: bool) -> OfficialFacts:
    """Skills (if asked), capacities and held loads of these officials in ONE round trip."""
    facts = OfficialFacts()
    if not ids:
        return facts
    parts = [
        select(
            OfficialCapacity.official_id,
            literal("capacity"),
            OfficialCapacity.channel,
            OfficialCapacity.capacity,
        ).where(OfficialCapacity.official_id.in_(ids)),
        select(WorkItem.official_id, literal("load"), WorkItem.channel, func.count())
        .where(WorkItem.official_id.in_(ids), WorkItem.status.in_(HELD))
        .group_by(WorkItem.official_id, WorkItem.channel),
    ]
    if skills:
        parts.append(
            select(OfficialSkill.official_id, literal("skills"), Skill.code, OfficialSkill.level)
            .join(Skill, Skill.id == OfficialSkill.skill_id)
            .where(OfficialSkill.official_id.in_(ids))
        )
    for official_id, kind, key, value in await uow.session.execute(union_all(*parts)):
        getattr(facts, kind)[official_id][key] = int(value)
    return facts


def _channels(counts: dict[str, int]) -> dict[Channel, int]:
    return {
        Channel(channel): count
        for channel, count in counts.items()
        if channel in Channel.__members__.values()
    }


@dataclass(frozen=True)
class ItemState:
    """A work item's row as the engine needs it: its status decides whether the core holds it."""

    id: int
    status: str
    queue_code: str
    channel: str
    priority: int
    enqueued_at: datetime

    def as_core_item(self) -> CoreItem:
        # The stored effective priority already holds the legal urgency (services compute it), so
        # the core gets it as the item's extra on top of a queue priority it subtracts back out.
        return CoreItem(
            item_id=str(self.id),
            queue_id=self.queue_code,
            channel=Channel(self.channel),
            enqueued_at=self.enqueued_at,
            priority=self.priority,
        )


async def item_states(
    uow: UnitOfWork, setup: Setup, ids: Iterable[int] | None = None, *, waiting_only: bool = False
) -> list[ItemState]:
    query = select(
        WorkItem.id,
        WorkItem.status,
        WorkItem.queue_id,
        WorkItem.channel,
        WorkItem.effective_priority,
        WorkItem.enqueued_at,
    ).where(WorkItem.distributor.is_(None))  # items another distributor hands out never enter the core
    if ids is not None:
        query = query.where(WorkItem.id.in_(list(ids)))
    if waiting_only:
        query = query.where(WorkItem.status == "waiting")
    rows = await uow.session.execute(query)
    out = []
    for item_id, status, queue_id, channel, effective, enqueued_at in rows:
        queue = setup.queues.get(queue_id)
        if queue is None:
            continue  # a queue created after this setup was loaded: the next resync brings it
        out.append(ItemState(item_id, status, queue.code, channel, effective - queue.priority, enqueued_at))
    return out
