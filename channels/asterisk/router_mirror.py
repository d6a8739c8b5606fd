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
    ChannelEvent,
    ChannelHungUp,
)
from channels.asterisk.interfaces import DEFAULT, MemberInterface
from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWork
from ivr.queueing import CallQueue

log = logging.getLogger(__name__)
Move = tuple[ChannelEvent, Conversation]


def official_of(interface: str, interfaces: MemberInterface = DEFAULT) -> int | None:
    """`PJSIP/official-12` -> 12; a member that is not one of our officials -> None."""
    return interfaces.official(interface)


def concerns_router(event: ChannelEvent) -> bool:
    # QueueCallerAbandon is no abandon by itself: app_queue sends it whenever a caller leaves the
    # queue unanswered (the callback offer's timeout too); the caller's hang-up decides.
    if isinstance(event, AgentConnected | AgentCompleted):
        return True
    return isinstance(event, ChannelHungUp) and event.uniqueid == event.linkedid


async def tell_router(
    uow: UnitOfWork, queue: CallQueue, moves: Sequence[Move], interfaces: MemberInterface = DEFAULT
) -> None:
    """Apply the batch's new queue events to the calls' work items, in event order."""
    for event, call in moves:
        match event:
            case AgentConnected():
                official = official_of(event.interface, interfaces)
                if official is not None and await queue.connected(uow, call.id, official):
                    call.official_id = official
                    log.info(
                        "ami_call_connected", extra={"conversation_id": call.id, "official_id": official}
                    )
            case AgentCompleted() if not (call.flow_state or {}).get("moved_by_control"):
                # A hold or transfer ends app_queue's bridge too: the call (and the item) go on.
                await queue.finish(uow, call.id)
            case ChannelHungUp() if not (call.flow_state or {}).get("callback"):
                await queue.abandon(uow, call.id)
                await queue.finish(uow, call.id)
            case _:
                pass
