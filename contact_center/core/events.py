"""The typed catalogue of events that services publish after commit.

An event names itself, the socket.io namespace and room it goes to, and its payload. Services
collect events in the unit of work; the notifier sends them only once the transaction committed,
so nobody is told about a change that was rolled back. The catalogue of names is documented in
`docs/events.md`, and a test checks code and document against each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGENTS = "/agents"
SUPERVISORS = "/supervisors"
CHAT = "/chat"


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    namespace: str
    room: str
    payload: dict[str, Any] = field(default_factory=dict)
    skip_sid: str | None = None  # a connection of the room that must not get it (it has it already)


def official_room(official_id: int) -> str:
    return f"official:{official_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


SUPERVISORS_ROOM = "supervisors"

# The skills-based router's events (routing/; catalogue in docs/events.md).
OFFER = "offer"  # /agents, the official's room
OFFER_REVOKED = "offer.revoked"  # /agents, the official's room
ASSIGNMENT = "assignment"  # /agents, the official's room
QUEUE_POSITION = "queue.position"  # /chat, the conversation's room
QUEUE_CALLBACK = "queue.callback"  # /chat, the conversation's room: the queue's callback step fired
STATS_QUEUES = "stats.queues"  # /supervisors, the supervisors' room
PRESENCE = "presence"  # /agents (official's room) and /supervisors

# An official's session was closed (logout): sent to the session's sockets on /agents and
# /supervisors, and the socket.io manager of every process then disconnects them.
SESSION_CLOSED = "session.closed"


def session_room(token_digest: str) -> str:
    """The room of every socket opened with one token (only the server knows the digest)."""
    return f"session:{token_digest[:32]}"
