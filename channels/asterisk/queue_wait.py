"""A caller waiting in app_queue, as app_queue means it.

app_queue announces the position and the hold time itself (queues.conf `announce-frequency`,
`announce-position`), with its own music-on-hold class, so the caller never leaves the queue to hear
them: nobody behind is answered first, and no announcement is an exit that app_queue reports as an
abandon. The caller leaves the queue only when:

- an official answered and the talk ended (option `c`: the official hung up, QUEUESTATUS=CONTINUE):
  the flow learns who answered (`AgentReady`) and the runner ends the call;
- the flow offers a callback after `callback_after` seconds (Queue's timeout): the caller hears their
  position and the offer, and without a key goes back in at the position app_queue reported when
  they left (QUEUEPOSITION, Queue's `position` argument), so they keep their place;
- the caller hangs up (CallHungUp).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from channels.asterisk.agi_session import AgiSession
from channels.asterisk.errors import AgiCommandFailed
from channels.asterisk.interfaces import MemberInterface
from contact_center.core.db.models import Conversation
from ivr.flow import AgentReady, Event, QueueUpdate
from ivr.host import CallTurn

log = logging.getLogger(__name__)
Position = Callable[[CallTurn], Awaitable[tuple[int, int] | None]]
# Queue returned at once this many times in a row: the queue is unusable (unknown, full...), and
# the dialplan's fallback takes the call rather than the IVR spinning.
_IMMEDIATE_S, _IMMEDIATE_MAX = 1.0, 3
_EXITS = frozenset({"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})


def moved_by_control(call: Conversation) -> bool:
    """Whether an official's call control (hold, transfer) moved the caller's channel elsewhere in
    the dialplan since the IVR last ran: the AGI ends then, the call does not."""
    return bool((call.flow_state or {}).get("moved_by_control"))


@dataclass
class QueueWait:
    session: AgiSession
    interfaces: MemberInterface
    music_class: str
    talked: bool = False  # an official answered: the talk happened inside Queue
    position: int | None = None  # where app_queue had the caller when they last left it
    offered: bool = False
    started: float = field(default_factory=time.monotonic)
    _immediate: int = 0

    async def queue(
        self, queue: str, callback_after: int | None, turn: CallTurn, router_position: Position
    ) -> Event:
        if self.position is None and not self.offered:
            self.started = time.monotonic()
        await self.session.set_variable("CHANNEL(musicclass)", self.music_class)
        timeout = self._until_offer(callback_after)
        offer_due = timeout is not None
        args = (queue, "tc", "", "", str(timeout) if timeout else "", "", "", "", str(self.position or ""))
        entered = time.monotonic()
        await self.session.exec("Queue", args, failure_ok=True)
        status = await self.session.get_variable("QUEUESTATUS") or ""
        member = await self.session.get_variable("MEMBERINTERFACE") or ""
        if status == "CONTINUE" or (member and status not in _EXITS):
            self.talked = True
            official = self.interfaces.official(member)
            log.info("asterisk_queue_talked", extra={"queue": queue, "official_id": official})
            return AgentReady(str(official) if official is not None else member)
        self._guard(time.monotonic() - entered, status)
        spot = await self.session.get_variable("QUEUEPOSITION")
        self.position = int(spot) if spot and spot.isdigit() else self.position
        self.offered = True
        waited = int(time.monotonic() - self.started)
        if offer_due and status == "TIMEOUT" and callback_after is not None:
            waited = max(waited, callback_after)  # Queue's timeout was the time left until the offer
        router = await router_position(turn)
        position = self.position or (router[0] if router else 1)
        return QueueUpdate(position, router[1] if router else 60, waited)

    def _until_offer(self, after: int | None) -> int | None:
        """Queue's timeout: the seconds left until the callback offer, once; otherwise none."""
        if after is None or self.offered:
            return None
        return max(1, after - int(time.monotonic() - self.started))

    def _guard(self, took: float, status: str) -> None:
        self._immediate = self._immediate + 1 if took < _IMMEDIATE_S and status != "TIMEOUT" else 0
        if self._immediate >= _IMMEDIATE_MAX:
            raise AgiCommandFailed(200, f"queue unusable (QUEUESTATUS={status or 'none'})")
