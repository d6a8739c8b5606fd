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
from datetime import timedelta
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


LOST_DIAL_SECONDS = 120
LOST_DIAL = "no provider reference: the line stopped while placing the call"
DialerOf = Callable[[str], Dialer | None]  # the call's provider ("twilio", "asterisk") -> its dialer


async def dial_due_callbacks(
    uows: UnitOfWorkFactory, queue: CallQueue, dialers: DialerOf, outcomes: CallbackOutcomes
) -> int:
    """Dial every pending callback whose work item an official accepted, on the provider the
    citizen called through; returns how many were placed (a refused dial is not)."""
    await _settle_lost_dials(uows, outcomes)
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
        provider = await _provider(uow, callback_id)
    if provider == "asterisk":
        return await _dial_locked(uows, queue, dialers, outcomes, callback_id)
    claimed = await _claim(uows, queue, dialers, callback_id)
    if claimed is None:
        return 0
    dialer, number, official_id, conversation_id, attempt = claimed
    # No transaction is open while the provider places the call: a slow provider must not hold
    # SQLite's write lock (or the callback's row lock) while every other caller waits.
    try:
        ref = await dialer.call_back(number, official_id, conversation_id)
    except Exception as exc:  # refused outright: the attempt is spent, as if nobody answered
        log.warning("ivr_callback_dial_failed", extra={"callback_id": callback_id, "error": repr(exc)})
        async with uows() as uow:
            callback = await uow.session.get(VoiceCallback, callback_id, with_for_update=True)
            if callback is not None and (callback.status, callback.attempts) == ("dialing", attempt):
                await outcomes.dial_refused(uow, callback, official_id, _refusal(exc))
                await uow.commit()
        return 0
    async with uows() as uow:
        callback = await uow.session.get(VoiceCallback, callback_id, with_for_update=True)
        # A webhook of this call may have come first and stored its CallSid (channels/twilio/
        # callback_hooks.py): the reference is the same; the attempt's outcome stays.
        if callback is not None and callback.attempts == attempt and callback.provider_ref is None:
            callback.provider_ref = ref
            await uow.commit()
    log.info("ivr_callback_dialled", extra={"callback_id": callback_id, "official_id": official_id})
    return 1


async def _settle_lost_dials(uows: UnitOfWorkFactory, outcomes: CallbackOutcomes) -> None:
    """A dial marked `dialing` whose provider reference never came (the process stopped while the
    provider was asked, and no webhook named the call since) is spent as a refused attempt after
    `LOST_DIAL_SECONDS`: retried later or closed like any other, never stuck."""
    async with uows() as uow:
        lost = (
            await uow.session.scalars(
                select(VoiceCallback)
                .where(
                    VoiceCallback.status == "dialing",
                    VoiceCallback.provider_ref.is_(None),
                    VoiceCallback.dialed_at < uow.clock.now() - timedelta(seconds=LOST_DIAL_SECONDS),
                )
                .with_for_update()
            )
        ).all()
        for callback in lost:
            official_id = callback.official_id or 0
            await outcomes.dial_refused(uow, callback, official_id, LOST_DIAL)
        if lost:
            await uow.commit()


async def _provider(uow: UnitOfWork, callback_id: int) -> str | None:
    callback = await uow.session.get(VoiceCallback, callback_id)
    call = await uow.session.get(Conversation, callback.conversation_id) if callback is not None else None
    return provider_of(call) if call is not None else None


async def _claim(
    uows: UnitOfWorkFactory, queue: CallQueue, dialers: DialerOf, callback_id: int
) -> tuple[Dialer, str, int, int, int] | None:
    """Mark a pending callback whose item an official accepted as `dialing` (committed) and return
    what the dial needs: (dialer, number, official, conversation, attempt)."""
    async with uows() as uow:
        callback = await uow.session.get(VoiceCallback, callback_id, with_for_update=True)
        if callback is None or callback.status != "pending":
            return None
        call = await uow.session.get(Conversation, callback.conversation_id)
        dialer = dialers(provider_of(call)) if call is not None else None
        if dialer is None:  # that provider's link is not up (yet): the next round tries again
            return None
        official_id = await queue.assigned_official(uow, callback.conversation_id)
        if official_id is None:
            return None
        callback.attempts += 1
        callback.status, callback.official_id, callback.provider_ref = "dialing", official_id, None
        callback.dialed_at = uow.clock.now()
        claimed = (dialer, callback.number, official_id, callback.conversation_id, callback.attempts)
        await uow.commit()
        return claimed


async def _dial_locked(
    uows: UnitOfWorkFactory, queue: CallQueue, dialers: DialerOf, outcomes: CallbackOutcomes, callback_id: int
) -> int:
    """Dial while holding the callback's row (Asterisk: the AMI is a local socket, and the mirror's
    OriginateResponse handler waits on this row for the dialler's commit of its ActionID)."""
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
