"""A caller whose official did not pick up goes back to wait, keeping their turn.

After `AgentReady` the flow ends at its enqueue node (the call is handed over). When the dial to
the official is missed, `back_in_queue` re-opens the flow at that same node, so the waiting call
announces its position, offers the callback and takes the next `AgentReady` like any queued call;
the router side (`routing.missed_calls`) puts the work item back at its original place and counts
the official's miss. A call handed to an official by a transfer has no enqueue node to return to:
it waits in the work item's queue without the flow's announcements.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from contact_center.core.db.models import Conversation, Queue
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.uow import UnitOfWork
from ivr.flow import ACTIONS_JSON, Action, Enqueue, FlowState, Say
from ivr.flow.schema import EnqueueNode
from ivr.host import CallTurn, IvrHost
from ivr.queueing import CallQueue
from routing.missed_calls import call_missed

log = logging.getLogger(__name__)
MISSED_PROMPT = "El funcionario no pudo atender su llamada. Conserva su turno en la fila."
GENERIC_HOLD_SECONDS = 60


async def back_in_queue(
    uow: UnitOfWork, host: IvrHost, queue: CallQueue | None, call: Conversation
) -> CallTurn:
    """Undo the hand-over of `call` after a missed dial: the turn to render (wait in the queue)."""
    item = await _undo_assignment(uow, queue, call.id)
    queue_code = await _queue_code(uow, item)
    stored: dict[str, Any] = call.flow_state or {}
    state = FlowState.model_validate(stored["state"])
    node = host.flows[state.flow_id].nodes.get(state.node)
    if isinstance(node, EnqueueNode) and (queue_code is None or node.queue == queue_code):
        enqueue = Enqueue(node.queue, node.announce_every, node.hold_music, node.callback_after)
        state = state.model_copy(
            update={"finished": False, "step": state.step + 1, "hold_updates": 0, "callback_offered": False}
        )
        call.answered_at = None  # nobody has spoken to the caller yet
    else:
        enqueue = Enqueue(queue_code or "", GENERIC_HOLD_SECONDS, "musica_espera", None)
    actions: tuple[Action, ...] = (Say(MISSED_PROMPT), enqueue)
    call.state, call.official_id = "queued", None
    call.flow_state = {
        **stored,
        "state": state.model_dump(mode="json"),
        "rendered": ACTIONS_JSON.dump_python(actions, mode="json"),
    }
    log.info("ivr_dial_missed", extra={"conversation_id": call.id, "queue": enqueue.queue})
    return CallTurn(call.id, state.step, actions, False, False, state.node)


async def _undo_assignment(uow: UnitOfWork, queue: CallQueue | None, conversation_id: int) -> WorkItem | None:
    router = getattr(queue, "router", None)  # the router's queue (ivr.router_queue) can undo it
    if router is None:
        return None
    return await call_missed(uow, router, conversation_id)


async def queue_of(uow: UnitOfWork, conversation_id: int) -> str | None:
    """The code of the queue the call's live work item is in."""
    item = await uow.session.scalar(
        select(WorkItem).where(
            WorkItem.conversation_id == conversation_id,
            WorkItem.status.in_(("waiting", "offered", "assigned")),
        )
    )
    return await _queue_code(uow, item)


async def _queue_code(uow: UnitOfWork, item: WorkItem | None) -> str | None:
    if item is None:
        return None
    code: str | None = await uow.session.scalar(select(Queue.code).where(Queue.id == item.queue_id))
    return code
