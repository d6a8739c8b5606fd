"""The port through which the IVR host puts calls in the router's queues and learns their fate.

`RouterCallQueue` (ivr/router_queue.py) implements it on the skills-based router; tests of the host
alone may use any object of this shape. Every method runs inside the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contact_center.core.uow import UnitOfWork


@dataclass(frozen=True)
class QueueSpot:
    """Where a waiting call is: 1 is next; `eta_seconds` None when the router cannot tell."""

    position: int
    eta_seconds: int | None


class CallQueue(Protocol):
    async def enqueue(
        self, uow: UnitOfWork, conversation_id: int, queue_code: str, *, distributor: str | None = None
    ) -> None:
        """Queue the call; enqueuing a call already waiting keeps its place. `distributor`
        "asterisk": app_queue hands the call out and the queue only mirrors it."""
        ...

    async def position(self, uow: UnitOfWork, conversation_id: int) -> QueueSpot | None:
        """The call's place, or None once it no longer waits."""
        ...

    async def assigned_official(self, uow: UnitOfWork, conversation_id: int) -> int | None:
        """The official who accepted the call's offer, if one did."""
        ...

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        """The caller left while waiting."""
        ...

    async def keep_for_callback(self, uow: UnitOfWork, conversation_id: int, number: str) -> None:
        """The caller hangs up but keeps their place: flag the waiting item as a callback."""
        ...

    async def connected(self, uow: UnitOfWork, conversation_id: int, official_id: int) -> bool:
        """Another distributor (app_queue) connected the waiting call to this official: mirror it."""
        ...

    async def finish(self, uow: UnitOfWork, conversation_id: int) -> None:
        """The call being attended ended: the official's work is done (capacity freed, wrap-up)."""
        ...
