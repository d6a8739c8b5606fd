"""The chat message as the domain knows it: who may write, into which conversations, and the one
payload every reader of a message gets (the sender's ack, the citizen's room, the official's console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Sender = Literal["citizen", "official", "system"]
# A message is stored only into a conversation in one of these states, once per client id.
LIVE_STATES = frozenset({"open", "queued", "offered", "active"})


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to store: `client_id` makes a retried send harmless."""

    conversation_id: int
    sender: Sender
    body: str
    client_id: str
    created_at: datetime
    official_id: int | None = None
    internal: bool = False

    def row(self) -> dict[str, Any]:
        """The `messages` row to insert."""
        return {
            "conversation_id": self.conversation_id,
            "sender": self.sender,
            "official_id": self.official_id,
            "body": self.body,
            "internal": self.internal,
            "client_id": self.client_id,
            "created_at": self.created_at,
        }

    def payload(self, message_id: int, author: str | None = None) -> dict[str, Any]:
        return message_payload(
            message_id,
            self.conversation_id,
            self.client_id,
            self.sender,
            author,
            self.body,
            self.internal,
            self.created_at,
        )


def message_payload(
    message_id: int,
    conversation_id: int,
    client_id: str | None,
    sender: str,
    author: str | None,
    body: str,
    internal: bool,
    created_at: datetime,
) -> dict[str, Any]:
    """What a stored message looks like to every client (docs/events.md, event `message`)."""
    return {
        "id": message_id,
        "conversation_id": conversation_id,
        "client_id": client_id,
        "sender": sender,
        "author": author,
        "body": body,
        "internal": internal,
        "created_at": created_at.isoformat(),
    }
