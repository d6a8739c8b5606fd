"""What the core hands back to its caller: offers made, offers missed, timers that fired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.core.config import StepKind
from routing.core.model import Channel


@dataclass(frozen=True, slots=True)
class Offer:
    """An item reserved for an official (their load already counts it) until resolved."""

    item_id: str
    official_id: str
    channel: Channel
    offered_at: datetime


@dataclass(frozen=True, slots=True)
class OfferMissed:
    """An offer rejected or timed out: the item is waiting again at its original place."""

    item_id: str
    official_id: str
    missed_in_a_row: int
    official_set_away: bool


@dataclass(frozen=True, slots=True)
class StepFired:
    """A queue time step reached an item; `CALLBACK` is the one channels act upon."""

    item_id: str
    queue_id: str
    kind: StepKind
    at: datetime
    target_queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class WrapUpEnded:
    """The official may take work again: a good moment to call `match_official`."""

    official_id: str
    at: datetime


Signal = StepFired | WrapUpEnded
