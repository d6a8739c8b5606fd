"""The vocabulary of routing: channels, presence, and the snapshots the core is fed with."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from routing.priority import LegalUrgency

MISSED_OFFER_REASON = "oferta perdida"

SkillLevel = Annotated[int, Field(ge=1, le=10)]


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    APP = "app"
    PQRD = "pqrd"


CHANNELS: tuple[Channel, ...] = tuple(Channel)


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"
    BUSY = "busy"


class OfficialSnapshot(BaseModel):
    """An official as the database knows them; `official_changed` replaces the core's copy.

    `load` counts accepted work per channel. Offers the core has made and not yet resolved are
    kept by the core and added on top, so a snapshot never erases a reservation in flight.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    official_id: str = Field(min_length=1)
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    capacity: dict[Channel, NonNegativeInt] = Field(default_factory=dict)
    load: dict[Channel, NonNegativeInt] = Field(default_factory=dict)
    presence: Presence = Presence.OFFLINE
    away_reason: str | None = None
    wrap_up_until: AwareDatetime | None = None
    idle_since: AwareDatetime


class WorkItem(BaseModel):
    """A call, chat, app thread or PQRD ticket waiting for an official.

    `priority` is an extra the channel may set; the core adds the queue's priority, the art. 20
    flags and the deadline urgency (`routing.priority.effective_priority`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str = Field(min_length=1)
    queue_id: str = Field(min_length=1)
    channel: Channel
    enqueued_at: AwareDatetime
    priority: int = 0
    urgency: LegalUrgency | None = None
