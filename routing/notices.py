"""The router's events (catalogue in docs/events.md), built in one place.

Services queue them on the unit of work, so they leave only after the change committed. The
internal `routing.changed` event never reaches a socket: the engine's notifier wrapper takes it
(`routing.bus.RoutingNotifier`) and wakes the engine of this process.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from contact_center.core.events import (
    AGENTS,
    ASSIGNMENT,
    CHAT,
    OFFER,
    OFFER_REVOKED,
    PRESENCE,
    QUEUE_CALLBACK,
    QUEUE_POSITION,
    SUPERVISORS,
    SUPERVISORS_ROOM,
    Event,
    conversation_room,
    official_room,
)

INTERNAL = "#routing"  # a namespace no socket.io client can join: the engine's own wake-up call
CHANGED = "routing.changed"


def changed(items: Iterable[int] = (), officials: Iterable[int] = (), *, full: bool = False) -> Event:
    """Tell this process's engine (after commit) which rows to re-read."""
    payload = {"items": sorted(set(items)), "officials": sorted(set(officials)), "full": full}
    return Event(CHANGED, INTERNAL, "", payload)


def offer(
    offer_id: int,
    official_id: int,
    item: dict[str, Any],
    queue_code: str,
    expires_at: datetime,
) -> Event:
    payload = {
        "offer_id": offer_id,
        "work_item_id": item["id"],
        "kind": item["kind"],
        "channel": item["channel"],
        "queue": queue_code,
        "conversation_id": item["conversation_id"],
        "ticket_id": item["ticket_id"],
        "expires_at": expires_at.isoformat(),
    }
    return Event(OFFER, AGENTS, official_room(official_id), payload)


def offer_revoked(offer_id: int, official_id: int, reason: str) -> Event:
    return Event(OFFER_REVOKED, AGENTS, official_room(official_id), {"offer_id": offer_id, "reason": reason})


def assignment(
    official_id: int, work_item_id: int, conversation_id: int | None, ticket_id: int | None
) -> Event:
    payload = {"work_item_id": work_item_id, "conversation_id": conversation_id, "ticket_id": ticket_id}
    return Event(ASSIGNMENT, AGENTS, official_room(official_id), payload)


def presence(official_id: int, state: str, reason: str | None) -> list[Event]:
    payload = {"official_id": official_id, "presence": state, "reason": reason}
    return [
        Event(PRESENCE, AGENTS, official_room(official_id), payload),
        Event(PRESENCE, SUPERVISORS, SUPERVISORS_ROOM, payload),
    ]


def queue_position(conversation_id: int, position: int, eta_seconds: int | None) -> Event:
    payload = {"conversation_id": conversation_id, "position": position, "eta_seconds": eta_seconds}
    return Event(QUEUE_POSITION, CHAT, conversation_room(conversation_id), payload)


def queue_callback(conversation_id: int, work_item_id: int, queue_code: str) -> Event:
    payload = {"conversation_id": conversation_id, "work_item_id": work_item_id, "queue": queue_code}
    return Event(QUEUE_CALLBACK, CHAT, conversation_room(conversation_id), payload)
