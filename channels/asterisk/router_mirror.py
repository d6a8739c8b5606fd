"""What app_queue did, told to the router: on Asterisk, app_queue distributes the calls and the
router's work items only mirror it (who answered, when the call ended), so capacity, statistics
and the console see Asterisk calls like any other work.

Only new events reach here (the mirror drops replays), and every write is conditional, so a
replayed or crossed event changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from channels.asterisk.events import (
    AgentCompleted,
    AgentConnected,
    CallerAbandoned,
    ChannelEvent,
    ChannelHungUp,
)
from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWork
from ivr.queueing import CallQueue

log = logging.getLogger(__name__)
OFFICIAL_PREFIX = "PJSIP/official-"
Move = tuple[ChannelEvent, Conversation]


def official_of(interface: str) -> int | None:
    """`PJSIP/official-12` -> 12; a member that is not one of our officials -> None."""
    rest = interface.removeprefix(OFFICIAL_PREFIX)
    return int(rest) if rest != interface and rest.isdigit() else None


def concerns_router(event: ChannelEvent) -> bool:
    if isinstance(event, AgentConnected | AgentCompleted | CallerAbandoned):
        return True
    return isinstance(event, ChannelHungUp) and event.uniqueid == event.linkedid


async def tell_router(uow: UnitOfWork, queue: CallQueue, moves: Sequence[Move]) -> None:
    """Apply the batch's new queue events to the calls' work items, in event order."""
    for event, call in moves:
        match event:
            case AgentConnected():
                official = official_of(event.interface)
                if official is not None and await queue.connected(uow, call.id, official):
                    call.official_id = official
                    log.info(
                        "ami_call_connected", extra={"conversation_id": call.id, "official_id": official}
                    )
            case AgentCompleted():
                await queue.finish(uow, call.id)
            case CallerAbandoned():
                await queue.abandon(uow, call.id)
            case ChannelHungUp() if not (call.flow_state or {}).get("callback"):
                await queue.abandon(uow, call.id)
                await queue.finish(uow, call.id)
            case _:
                pass
