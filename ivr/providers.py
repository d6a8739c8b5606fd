"""Which provider carries a call, and who therefore hands it to an official."""

from __future__ import annotations

from contact_center.core.db.models import Conversation


def distributor(call: Conversation) -> str | None:
    """Who hands the call to an official: Asterisk's app_queue for calls on Asterisk (the router
    only mirrors it), the router for every other call."""
    return "asterisk" if (call.flow_state or {}).get("provider") == "asterisk" else None


def provider_of(call: Conversation) -> str:
    """ "twilio" or "asterisk": kept in the flow state at the start (older calls: from the topic)."""
    stored = (call.flow_state or {}).get("provider")
    if isinstance(stored, str):
        return stored
    return "asterisk" if "asterisk" in (call.topic or "") else "twilio"
