"""When a waiting caller hears their position again.

The flow's enqueue node announces the position every `announce_every` seconds. A provider may ask
what to play more often (Twilio fetches the waitUrl again each time its hold document ends): in
between, the caller hears only the hold music.
"""

from __future__ import annotations

from typing import Any

from contact_center.core.db.models import Conversation
from ivr.flow import FlowState
from ivr.flow.schema import EnqueueNode
from ivr.host import IvrHost


def announcement_due(host: IvrHost, call: Conversation, waited_seconds: int | None) -> bool:
    """Whether the waiting caller's position is due again: the enqueue node's `announce_every`
    seconds after the previous announcement (the provider re-asks more often, e.g. Twilio each time
    its hold document ends). Without the time waited, every ask announces."""
    stored: dict[str, Any] = call.flow_state or {}
    if waited_seconds is None or "state" not in stored:
        return True
    state = FlowState.model_validate(stored["state"])
    node = host.flows[state.flow_id].nodes.get(state.node)
    if state.finished or not isinstance(node, EnqueueNode):
        return True
    return waited_seconds >= state.hold_updates * node.announce_every
