"""The pure, in-memory matching core of the skills-based router (no I/O, no clock reading).

`RoutingCore` is fed events from the database's state and answers which item an official gets,
which official an item goes to, and every offer possible now, in a few microseconds each.
"""

from routing.core.config import (
    CallbackStep,
    OverflowStep,
    QueueConfig,
    RelaxStep,
    RoutingConfig,
    ServiceLevel,
    StepKind,
)
from routing.core.model import (
    MISSED_OFFER_REASON,
    Channel,
    OfficialSnapshot,
    Presence,
    WorkItem,
)
from routing.core.records import ItemRecord, ItemStatus, OfficialRecord
from routing.core.router import RoutingCore
from routing.core.signals import Offer, OfferMissed, Signal, StepFired, WrapUpEnded

__all__ = [
    "MISSED_OFFER_REASON",
    "CallbackStep",
    "Channel",
    "ItemRecord",
    "ItemStatus",
    "Offer",
    "OfferMissed",
    "OfficialRecord",
    "OfficialSnapshot",
    "OverflowStep",
    "Presence",
    "QueueConfig",
    "RelaxStep",
    "RoutingConfig",
    "RoutingCore",
    "ServiceLevel",
    "Signal",
    "StepFired",
    "StepKind",
    "WorkItem",
    "WrapUpEnded",
]
