"""Queued callbacks: the caller hangs up but keeps their turn; when an official takes the work
item, the line calls the citizen back and bridges them to that official.

The callback row is the durable record; `dial_due_callbacks` runs periodically in every web process
(and is safe to run in several: each callback is claimed under a row lock before it is dialled).
A dial the provider refuses outright (Twilio's REST API answers an error, Asterisk answers the
Originate with `Response: Error`) is an attempt like an unanswered call: `ivr.callback_retry`
retries it after the delay or closes the callback after the last attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select

from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from ivr.callback_retry import CallbackOutcomes
from ivr.models import VoiceCallback
from ivr.providers import provider_of
from ivr.queueing import CallQueue

log = logging.getLogger(__name__)


class Dialer(Protocol):
    """Places the outgoing call of a callback (Twilio REST or an AMI Originate)."""

    async def call_back(self, number: str, official_id: int, conversation_id: int) -> str:
        """Start the call; returns the provider's reference (Call SID, ActionID)."""
        ...


async def request_callback(
    uow: UnitOfWork, call: Conversation, queue_code: str, number: str
) -> VoiceCallback:
    """Record that `call` is to be called back at `number`; asking twice keeps the first request."""
    existing = await uow.session.scalar(select(VoiceCallback).where(VoiceCallback.conversation_id == call.id))
    if existing is not None:
        existing.number = number
        return existing
    callback = VoiceCallback(
        conversation_id=call.id,
        queue_code=queue_code,
        number=number,
        status="pending",
        attempts=0,
        requested_at=uow.clock.now(),
    )
    uow.session.add(callback)
    await uow.session.flush()
    log.info("ivr_callback_requested", extra={"conversation_id": call.id, "queue": queue_code})
    return callback


DialerOf = Callable[[str], Dialer | None]  # the call's provider ("twilio", "asterisk") -> its dialer


async def dial_due_callbacks(
    uows: UnitOfWorkFactory, queue: CallQueue, dialers: DialerOf, outcomes: CallbackOutcomes
) -> int:
    """Dial every pending callback whose work item an official accepted, on the provider the
    citizen called through; returns how many were placed (a refused dial is not)."""
    async with uows() as uow:
        pending = (
            await uow.session.scalars(select(VoiceCallback.id).where(VoiceCallback.status == "pending"))
        ).all()
    dialled = 0
    for callback_id in pending:
        dialled += await _dial_one(uows, queue, dialers, outcomes, callback_id)
    return dialled


async def _dial_one(
    uows: UnitOfWorkFactory, queue: CallQueue, dialers: DialerOf, outcomes: CallbackOutcomes, callback_id: int
) -> int:
    async with uows() as uow:
        callback = await uow.session.get(VoiceCallback, callback_id, with_for_update=True)
        if callback is None or callback.status != "pending":
            return 0
        call = await uow.session.get(Conversation, callback.conversation_id)
        dialer = dialers(provider_of(call)) if call is not None else None
        if dialer is None:  # that provider's link is not up (yet): the next round tries again
            return 0
        official_id = await queue.assigned_official(uow, callback.conversation_id)
        if official_id is None:
            return 0
        callback.attempts += 1
        try:
            ref = await dialer.call_back(callback.number, official_id, callback.conversation_id)
        except Exception as exc:  # refused outright: the attempt is spent, as if nobody answered
            log.warning("ivr_callback_dial_failed", extra={"callback_id": callback.id, "error": repr(exc)})
            await outcomes.dial_refused(uow, callback, official_id, _refusal(exc))
            await uow.commit()
            return 0
        callback.status, callback.official_id, callback.provider_ref = "dialing", official_id, ref
        callback.dialed_at = uow.clock.now()
        await uow.commit()
        log.info("ivr_callback_dialled", extra={"callback_id": callback.id, "official_id": official_id})
        return 1


def _refusal(exc: Exception) -> str:
    """What the provider said (Twilio's error text, Asterisk's Message), for the call's history."""
    details = getattr(exc, "details", None)  # CallControlFailed keeps Twilio's own words there
    said = details.get("provider_error") if isinstance(details, dict) else None
    return str(said or exc or type(exc).__name__)[:200]
