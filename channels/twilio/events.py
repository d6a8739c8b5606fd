"""Call events from Twilio callbacks, stored once per (call, key): a retried callback adds nothing."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from contact_center.core.db.models import CallEvent
from contact_center.core.uow import UnitOfWork

# Only what the history of a call needs; the caller's number is already on the conversation.
_KEPT = ("CallStatus", "CallDuration", "QueueResult", "QueueTime", "DialCallStatus", "DialCallDuration",
         "RecordingSid", "RecordingStatus", "RecordingDuration", "RecordingUrl")  # fmt: skip


async def record_call_event(
    uow: UnitOfWork, conversation_id: int, kind: str, key: str, form: Mapping[str, str]
) -> bool:
    """Add the event unless one with the same key exists; True when it was new."""
    exists = await uow.session.scalar(
        select(CallEvent.id).where(CallEvent.conversation_id == conversation_id, CallEvent.dedup_key == key)
    )
    if exists is not None:
        return False
    data = {name: form[name] for name in _KEPT if name in form}
    uow.session.add(
        CallEvent(
            conversation_id=conversation_id,
            kind=kind[:40],
            dedup_key=key[:120],
            data=data,
            at=uow.clock.now(),
        )
    )
    await uow.session.flush()
    return True
