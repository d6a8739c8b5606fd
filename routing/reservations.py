"""The writes that make routing correct across processes: the database decides, not any cache.

Lock order, the same on every path, so two processes never deadlock: the officials' rows first
(`SELECT ... FOR UPDATE`, by id), then offers, then work items. On SQLite the single writer
(`BEGIN IMMEDIATE`) serialises everything anyway.

* An offer is made by a conditional `UPDATE work_items SET status = 'offered' ... WHERE id IN (...)
  AND status = 'waiting'`: of two processes that picked the same item, exactly one row update wins.
  The official's capacity is counted with their row locked, so two offers cannot both take the
  last free slot; a partial unique index allows one outstanding offer per item.
* An offer is resolved by `UPDATE offers SET status = ... WHERE id = :id AND status = 'offered'`:
  accept, reject, time-out and revoke race for it and exactly one wins.
* Offers carry `expires_at`; any process times out the expired ones, so nothing stays reserved by
  a process that died.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, insert, literal, select, update

from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork
from routing import bus, notices
from routing.core import MISSED_OFFER_REASON
from routing.persistence import SNAPSHOT_COLUMNS, OfficialFacts, Setup, official_facts


@dataclass(frozen=True)
class Proposal:
    """The core's decision, to be confirmed by the database."""

    work_item_id: int
    official_id: int


@dataclass(frozen=True)
class MadeOffer:
    offer_id: int
    work_item_id: int
    official_id: int
    queue_id: int


async def lock_officials(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Official]:
    """Lock the officials' rows in id order (the first step of every routing write)."""
    if not ids:
        return {}
    query = select(Official).where(Official.id.in_(sorted(set(ids)))).order_by(Official.id).with_for_update()
    return {o.id: o for o in (await uow.session.scalars(query)).all()}


def is_ready(official: Any, now: datetime) -> bool:
    """An `Official` (or a row with its columns) who may take an offer now."""
    in_wrap_up = official.wrap_up_until is not None and official.wrap_up_until > now
    return bool(official.active) and official.presence == Presence.AVAILABLE.value and not in_wrap_up


async def free_slots(uow: UnitOfWork, official_ids: Sequence[int]) -> Counter[tuple[int, str]]:
    """Capacity minus offered and assigned work, per (official, channel); rows must be locked."""
    facts = await official_facts(uow, official_ids, skills=False)
    return _slots(facts)


def _slots(facts: OfficialFacts) -> Counter[tuple[int, str]]:
    slots: Counter[tuple[int, str]] = Counter()
    for official_id, channels in facts.capacity.items():
        for channel, capacity in channels.items():
            slots[(official_id, channel)] = capacity
    for official_id, channels in facts.load.items():
        for channel, held in channels.items():
            slots[(official_id, channel)] -= held
    return slots


@dataclass
class Claim:
    """What a claim made, and the locked officials as the database now has them (their loads
    count the new offers), so the engine updates its core without reading them again."""

    made: list[MadeOffer]
    officials: dict[int, OfficialSnapshotRow]


@dataclass(frozen=True)
class OfficialSnapshotRow:
    row: Any  # a row of `persistence.SNAPSHOT_COLUMNS`, locked by the claim
    capacity: dict[str, int]
    load: dict[str, int]


async def claim(
    uow: UnitOfWork, setup: Setup, proposals: Sequence[Proposal], channels: dict[int, str]
) -> list[MadeOffer]:
    """Turn the core's proposals into offers, keeping only what the database allows now.

    `channels` gives each proposed item's channel (the core knows it). Emits the offer events.
    """
    return (await claim_batch(uow, setup, proposals, channels)).made


async def claim_batch(
    uow: UnitOfWork,
    setup: Setup,
    proposals: Sequence[Proposal],
    channels: dict[int, str],
    notice: str | None = None,
) -> Claim:
    """`claim`, also returning the locked officials' fresh state. Three statements whatever the
    batch size on PostgreSQL: lock the officials, read their capacities and loads, then claim the
    items and insert their offers in one (with `notice`, a `bus.notify_payload`, sent to the other
    processes if anything was offered); four on SQLite."""
    now = uow.clock.now()
    ids = sorted({p.official_id for p in proposals})
    query = select(*SNAPSHOT_COLUMNS).where(Official.id.in_(ids)).order_by(Official.id).with_for_update()
    officials = {r.id: r for r in (await uow.session.execute(query)).all()}
    facts = await official_facts(uow, list(officials), skills=False)
    slots = _slots(facts)
    allowed: dict[int, int] = {}
    for p in proposals:
        official = officials.get(p.official_id)
        key = (p.official_id, channels[p.work_item_id])
        if official is None or not is_ready(official, now) or slots[key] <= 0:
            continue
        slots[key] -= 1
        allowed[p.work_item_id] = p.official_id
    made = await _offer(uow, setup, allowed, now, notice) if allowed else []
    for offer in made:
        load = facts.load[offer.official_id]
        load[channels[offer.work_item_id]] = load.get(channels[offer.work_item_id], 0) + 1
    return Claim(
        made,
        {oid: OfficialSnapshotRow(r, facts.capacity[oid], facts.load[oid]) for oid, r in officials.items()},
    )


_ITEM_COLUMNS = ("id", "kind", "channel", "queue_id", "conversation_id", "ticket_id")


async def _offer(
    uow: UnitOfWork, setup: Setup, allowed: dict[int, int], now: datetime, notice: str | None
) -> list[MadeOffer]:
    expires_at = now + timedelta(seconds=setup.tunables.offer_timeout_seconds)
    claimed = (
        update(WorkItem)
        .where(WorkItem.id.in_(list(allowed)), WorkItem.status == "waiting")
        .values(
            status="offered",
            official_id=case(allowed, value=WorkItem.id),
            offered_at=now,
            updated_at=now,
        )
        .returning(*(getattr(WorkItem, c) for c in _ITEM_COLUMNS), WorkItem.official_id)
        .execution_options(synchronize_session=False)
    )
    if uow.session.get_bind().dialect.name == "postgresql":
        rows = await _claim_and_insert(uow, claimed, allowed, now, expires_at, notice)
    else:
        rows = await _claim_then_insert(uow, claimed, allowed, now, expires_at)
    made = []
    for r in rows:
        item = {c: getattr(r, c) for c in _ITEM_COLUMNS}
        queue_code = setup.queues[r.queue_id].code if r.queue_id in setup.queues else ""
        uow.emit(notices.offer(r.offer_id, allowed[r.id], item, queue_code, expires_at))
        made.append(MadeOffer(r.offer_id, r.id, allowed[r.id], r.queue_id))
    return made


async def _claim_and_insert(
    uow: UnitOfWork,
    claimed: Any,
    allowed: dict[int, int],
    now: datetime,
    expires_at: datetime,
    notice: str | None,
) -> list[Any]:
    """PostgreSQL: the items' conditional update and the offers' insert in one statement (a
    data-modifying CTE feeding the insert), one round trip per batch."""
    items = claimed.cte("claimed")
    offers = cast(Table, RoutingOffer.__table__)
    made = (
        insert(offers)
        .from_select(
            ["work_item_id", "official_id", "queue_id", "channel", "status", "created_at", "expires_at"],
            select(
                items.c.id,
                items.c.official_id,
                items.c.queue_id,
                items.c.channel,
                literal("offered"),
                literal(now, offers.c.created_at.type),
                literal(expires_at, offers.c.expires_at.type),
            ),
        )
        .returning(offers.c.id, offers.c.work_item_id)
        .cte("made")
    )
    columns = [made.c.id.label("offer_id"), *(items.c[c] for c in _ITEM_COLUMNS)]
    if notice is not None:
        # Once per row, but PostgreSQL delivers identical notices of one transaction once.
        columns.append(func.pg_notify(bus.CHANNEL, notice).label("notified"))
    query = select(*columns).join_from(made, items, items.c.id == made.c.work_item_id)
    return list((await uow.session.execute(query)).all())


async def _claim_then_insert(
    uow: UnitOfWork, claimed: Any, allowed: dict[int, int], now: datetime, expires_at: datetime
) -> list[Any]:
    rows = (await uow.session.execute(claimed)).all()
    if not rows:
        return []
    offer_rows = [
        {
            "work_item_id": r.id,
            "official_id": allowed[r.id],
            "queue_id": r.queue_id,
            "channel": r.channel,
            "status": "offered",
            "created_at": now,
            "expires_at": expires_at,
        }
        for r in rows
    ]
    ids = await uow.session.execute(
        insert(RoutingOffer).returning(RoutingOffer.id, RoutingOffer.work_item_id), offer_rows
    )
    offer_ids = {work_item_id: offer_id for offer_id, work_item_id in ids}
    return [_WithOffer(offer_ids[r.id], *(getattr(r, c) for c in _ITEM_COLUMNS)) for r in rows]


@dataclass(frozen=True)
class _WithOffer:
    """A claimed item's columns with its new offer's id (the PostgreSQL statement's row shape)."""

    offer_id: int
    id: int
    kind: str
    channel: str
    queue_id: int
    conversation_id: int | None
    ticket_id: int | None


async def requeue(uow: UnitOfWork, work_item_id: int, official_id: int) -> bool:
    """Put an offered item back to waiting, at its original place (its `enqueued_at` is kept)."""
    result = await uow.session.execute(
        update(WorkItem)
        .where(WorkItem.id == work_item_id, WorkItem.status == "offered", WorkItem.official_id == official_id)
        .values(status="waiting", official_id=None, offered_at=None, updated_at=uow.clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def consecutive_misses(uow: UnitOfWork, official: Official) -> int:
    """Rejected or timed-out offers since the official's last accepted one and last return."""
    since = official.presence_since
    last_accept = await uow.session.scalar(
        select(func.max(RoutingOffer.decided_at)).where(
            RoutingOffer.official_id == official.id, RoutingOffer.status == "accepted"
        )
    )
    conditions = [
        RoutingOffer.official_id == official.id,
        RoutingOffer.status.in_(("rejected", "timed_out")),
    ]
    for floor in (since, last_accept):
        if floor is not None:
            conditions.append(RoutingOffer.decided_at >= floor)
    return int(await uow.session.scalar(select(func.count()).where(and_(*conditions))) or 0)


async def record_miss(uow: UnitOfWork, setup: Setup, official: Official) -> list[int]:
    """After a rejection or time-out: set the official away "oferta perdida" after N misses.

    Returns the items whose other offers to this official were withdrawn with it.
    """
    if official.presence != Presence.AVAILABLE.value:
        return []
    if await consecutive_misses(uow, official) < setup.tunables.missed_offers_before_away:
        return []
    now = uow.clock.now()
    official.presence = Presence.AWAY.value
    official.away_reason = MISSED_OFFER_REASON
    official.presence_since = now
    for event in notices.presence(official.id, Presence.AWAY.value, MISSED_OFFER_REASON):
        uow.emit(event)
    return await revoke_outstanding(uow, official.id, "presence")


async def revoke_outstanding(uow: UnitOfWork, official_id: int, reason: str) -> list[int]:
    """Withdraw the official's open offers (they went away or offline); items wait again."""
    return [work_item_id for work_item_id, _ in await revoke_offers(uow, official_id, reason)]


async def revoke_offers(uow: UnitOfWork, official_id: int, reason: str) -> list[tuple[int, str]]:
    """`revoke_outstanding`, returning each item with its channel (the slot it frees)."""
    now = uow.clock.now()
    rows = (
        await uow.session.execute(
            update(RoutingOffer)
            .where(RoutingOffer.official_id == official_id, RoutingOffer.status == "offered")
            .values(status="revoked", decided_at=now)
            .returning(RoutingOffer.id, RoutingOffer.work_item_id, RoutingOffer.channel)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for offer_id, work_item_id, _ in rows:
        await requeue(uow, work_item_id, official_id)
        uow.emit(notices.offer_revoked(offer_id, official_id, reason))
    return [(work_item_id, channel) for _, work_item_id, channel in rows]


async def expired_officials(uow: UnitOfWork, now: datetime, limit: int) -> list[int]:
    rows = await uow.session.scalars(
        select(RoutingOffer.official_id)
        .where(RoutingOffer.status == "offered", RoutingOffer.expires_at <= now)
        .distinct()
        .limit(limit)
    )
    return list(rows)


async def expire(uow: UnitOfWork, setup: Setup, limit: int = 500) -> tuple[list[int], list[int]]:
    """Time out every expired offer (any process may: whoever updates the row first wins).

    Returns the work items waiting again and the officials touched.
    """
    now = uow.clock.now()
    official_ids = await expired_officials(uow, now, limit)
    if not official_ids:
        return [], []
    officials = await lock_officials(uow, official_ids)
    rows = (
        await uow.session.execute(
            update(RoutingOffer)
            .where(
                RoutingOffer.official_id.in_(list(officials)),
                RoutingOffer.status == "offered",
                RoutingOffer.expires_at <= now,
            )
            .values(status="timed_out", decided_at=now)
            .returning(RoutingOffer.id, RoutingOffer.work_item_id, RoutingOffer.official_id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    items = []
    for offer_id, work_item_id, official_id in rows:
        if await requeue(uow, work_item_id, official_id):
            items.append(work_item_id)
        uow.emit(notices.offer_revoked(offer_id, official_id, "timeout"))
    for official_id in sorted({r.official_id for r in rows}):
        items.extend(await record_miss(uow, setup, officials[official_id]))
    return items, sorted({r.official_id for r in rows})
