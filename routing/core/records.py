"""The core's mutable records of officials and items.

Other code may read them (the naive reference, supervisors' views, tests) but only `RoutingCore`
changes them, because every change must also move the indexes.
"""

from __future__ import annotations

from enum import StrEnum

from routing.core.model import CHANNELS, Channel, Presence
from routing.priority import LegalUrgency

# Items sort by (-effective priority, enqueued at, arrival sequence); the id rides along last so a
# lane entry names its item. The sequence is unique, so the id is never compared.
ItemKey = tuple[int, int, int, str]
# Officials sort by (idle since, load on the channel, id): longest idle first, then least load.
OfficialKey = tuple[int, int, str]
# A requirement class: a queue at one of its stages.
Membership = tuple[str, int]


class ItemStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"


def channel_counts() -> dict[Channel, int]:
    return dict.fromkeys(CHANNELS, 0)


class OfficialRecord:
    __slots__ = (
        "away_reason",
        "capacity",
        "idle_since_us",
        "in_wrap_up",
        "index_keys",
        "item_ids",
        "lanes_by_channel",
        "load",
        "missed_offers",
        "offered",
        "official_id",
        "presence",
        "qualified",
        "skills",
        "wrap_up_until_us",
    )

    def __init__(self, official_id: str, idle_since_us: int) -> None:
        self.official_id = official_id
        self.skills: dict[str, int] = {}
        self.capacity = channel_counts()
        # Total per channel: accepted work plus the offers this core has reserved.
        self.load = channel_counts()
        self.offered = channel_counts()
        self.presence = Presence.OFFLINE
        self.away_reason: str | None = None
        self.wrap_up_until_us: int | None = None
        self.in_wrap_up = False
        self.idle_since_us = idle_since_us
        self.missed_offers = 0
        self.item_ids: set[str] = set()  # offered or assigned through this core
        # Derived by the indexes: queue -> earliest stage met, the item lanes that stage opens on
        # each channel, and the key under which the official sits in the official lists.
        self.qualified: dict[str, int] = {}
        self.lanes_by_channel: dict[Channel, tuple[list[ItemKey], ...]] = {}
        self.index_keys: dict[Channel, OfficialKey] = {}

    def ready(self) -> bool:
        return self.presence is Presence.AVAILABLE and not self.in_wrap_up

    def has_room(self, channel: Channel) -> bool:
        return self.load[channel] < self.capacity[channel]


class ItemRecord:
    __slots__ = (
        "channel",
        "enqueued_us",
        "item_id",
        "item_priority",
        "key",
        "memberships",
        "next_step",
        "official_id",
        "priority",
        "queue_id",
        "seq",
        "status",
        "urgency",
    )

    def __init__(
        self,
        item_id: str,
        queue_id: str,
        channel: Channel,
        enqueued_us: int,
        seq: int,
        priority: int,
    ) -> None:
        self.item_id = item_id
        self.queue_id = queue_id
        self.channel = channel
        self.enqueued_us = enqueued_us
        self.seq = seq
        self.item_priority = 0
        self.urgency: LegalUrgency | None = None
        self.priority = priority
        self.key: ItemKey = (-priority, enqueued_us, seq, item_id)
        self.status = ItemStatus.WAITING
        self.official_id: str | None = None
        # Home queue at its current stage first, then each queue it has overflowed to (stage 0).
        self.memberships: list[Membership] = [(queue_id, 0)]
        self.next_step: int | None = None  # index of the home queue's next time step

    def set_priority(self, priority: int) -> None:
        self.priority = priority
        self.key = (-priority, self.enqueued_us, self.seq, self.item_id)
