"""State changes of officials and of the offer lifecycle, keeping the indexes in step.

An item moves waiting -> offered -> assigned -> (completed, gone). Offered and assigned items count
on their official's load; a failed offer puts the item back at its original place in every lane
it belongs to (its key never changes), which is what keeps the enqueue order fair.
"""

from __future__ import annotations

from contact_center.core.errors import Conflict
from routing.core.instants import seconds_to_micros, to_micros
from routing.core.model import CHANNELS, OfficialSnapshot, Presence
from routing.core.records import ItemRecord, ItemStatus, OfficialRecord
from routing.core.signals import OfferMissed
from routing.core.state import CoreState, TimerKind


def apply_snapshot(state: CoreState, snapshot: OfficialSnapshot, now_us: int) -> None:
    official = state.officials.get(snapshot.official_id)
    if official is None:
        official = OfficialRecord(snapshot.official_id, to_micros(snapshot.idle_since))
        state.officials[snapshot.official_id] = official
    state.indexes.withdraw(official)
    if snapshot.presence is Presence.AVAILABLE and official.presence is not Presence.AVAILABLE:
        official.missed_offers = 0  # back from a pause: the missed streak starts over
    official.presence = snapshot.presence
    official.away_reason = snapshot.away_reason
    official.skills = dict(snapshot.skills)
    official.idle_since_us = to_micros(snapshot.idle_since)
    for channel in CHANNELS:
        official.capacity[channel] = snapshot.capacity.get(channel, 0)
        official.load[channel] = snapshot.load.get(channel, 0) + official.offered[channel]
    _set_wrap_up(state, official, snapshot_until(snapshot), now_us)
    state.indexes.qualify(official)
    state.indexes.place_everywhere(official)


def snapshot_until(snapshot: OfficialSnapshot) -> int | None:
    return None if snapshot.wrap_up_until is None else to_micros(snapshot.wrap_up_until)


def reserve(state: CoreState, item: ItemRecord, official: OfficialRecord) -> None:
    if item.status is not ItemStatus.WAITING:
        raise _conflict("routing.item_not_waiting", "El ítem no está en espera.", item, official)
    if not official.ready():
        raise _conflict("routing.official_not_ready", "El funcionario no está disponible.", item, official)
    if not official.has_room(item.channel):
        raise _conflict("routing.official_full", "El funcionario no tiene cupo en el canal.", item, official)
    if not _eligible(official, item):
        raise _conflict(
            "routing.official_not_skilled",
            "El funcionario no cumple las habilidades.",
            item,
            official,
        )
    state.indexes.dequeue(item)
    item.status = ItemStatus.OFFERED
    item.official_id = official.official_id
    official.item_ids.add(item.item_id)
    official.offered[item.channel] += 1
    official.load[item.channel] += 1
    state.indexes.place(official, item.channel)


def accept(state: CoreState, item: ItemRecord) -> None:
    official = _offered_to(state, item)
    official.offered[item.channel] -= 1
    official.missed_offers = 0
    item.status = ItemStatus.ASSIGNED
    item.next_step = None  # an assigned item no longer waits: its time steps stop


def miss(state: CoreState, item: ItemRecord, reason: str) -> OfferMissed:
    official = _offered_to(state, item)
    _release(item, official)
    item.status = ItemStatus.WAITING
    state.indexes.enqueue(item)
    official.missed_offers += 1
    set_away = (
        official.missed_offers >= state.config.missed_offers_before_away
        and official.presence is Presence.AVAILABLE
    )
    if set_away:
        official.presence = Presence.AWAY
        official.away_reason = reason
        state.indexes.withdraw(official)
    else:
        state.indexes.place(official, item.channel)
    return OfferMissed(item.item_id, official.official_id, official.missed_offers, set_away)


def complete(state: CoreState, item: ItemRecord, now_us: int, wrap_up_seconds: float | None) -> None:
    if item.status is not ItemStatus.ASSIGNED:
        raise Conflict("El ítem no está asignado.", code="routing.item_not_assigned")
    official = state.officials[item.official_id or ""]
    wrap_us = state.queues[item.queue_id].wrap_up_us
    if wrap_up_seconds is not None:
        wrap_us = seconds_to_micros(wrap_up_seconds)
    _finish(state, item, official, now_us, wrap_us)


def remove_item(state: CoreState, item: ItemRecord, now_us: int) -> None:
    if item.status is ItemStatus.WAITING:
        state.indexes.dequeue(item)
        del state.items[item.item_id]
        return
    official = state.officials[item.official_id or ""]
    if item.status is ItemStatus.OFFERED:
        _release(item, official)
        del state.items[item.item_id]
        state.indexes.place(official, item.channel)
        return
    _finish(state, item, official, now_us, 0)


def _finish(state: CoreState, item: ItemRecord, official: OfficialRecord, now_us: int, wrap_us: int) -> None:
    _release(item, official, offered=False)
    del state.items[item.item_id]
    until_us = now_us + wrap_us
    if official.in_wrap_up and official.wrap_up_until_us is not None:
        # Finishing a second conversation never shortens the wrap-up of the first.
        until_us = max(until_us, official.wrap_up_until_us)
    # Idle time counts from when they can take work again, i.e. after wrap-up.
    official.idle_since_us = until_us
    _set_wrap_up(state, official, until_us if until_us > now_us else None, now_us)
    state.indexes.place_everywhere(official)


def _set_wrap_up(state: CoreState, official: OfficialRecord, until_us: int | None, now_us: int) -> None:
    official.wrap_up_until_us = until_us
    official.in_wrap_up = until_us is not None and until_us > now_us
    if official.in_wrap_up and until_us is not None:
        state.timers.push(until_us, TimerKind.WRAP_UP_END, official.official_id, until_us)


def _release(item: ItemRecord, official: OfficialRecord, *, offered: bool = True) -> None:
    if offered:
        official.offered[item.channel] -= 1
    official.load[item.channel] -= 1
    official.item_ids.discard(item.item_id)
    item.official_id = None


def _offered_to(state: CoreState, item: ItemRecord) -> OfficialRecord:
    if item.status is not ItemStatus.OFFERED or item.official_id is None:
        raise Conflict("El ítem no tiene una oferta pendiente.", code="routing.no_pending_offer")
    return state.officials[item.official_id]


def _eligible(official: OfficialRecord, item: ItemRecord) -> bool:
    for queue_id, stage in item.memberships:
        first = official.qualified.get(queue_id)
        if first is not None and first <= stage:
            return True
    return False


def _conflict(code: str, message: str, item: ItemRecord, official: OfficialRecord) -> Conflict:
    return Conflict(message, code=code, item_id=item.item_id, official_id=official.official_id)
