"""A callback the citizen did not answer is dialled again later, keeping their place in line.

When the outgoing call of a callback ends unanswered (Twilio `no-answer`, `busy`, `failed`...;
an Asterisk OriginateResponse failure), `CallbackOutcomes.not_answered` records the attempt as a
`call_events` row (`callback_not_answered`); when the provider refuses to place it at all (Twilio's
REST API answers an error, Asterisk answers the Originate with `Response: Error`),
`CallbackOutcomes.dial_refused` records it as `callback_dial_refused`. Either way, while attempts
remain:

- the official's work item goes back to `waiting` with its original `enqueued_at` (its place in
  line) but parked: `distributor = "callback"` keeps it out of the router's offers, so no official
  is held while the line waits; the official's capacity is free at once (no wrap-up: no call);
- the callback is `retry`; the retry job (jobs port: in-process on SQLite, RQ in production) runs
  after `CALLBACK_RETRY_DELAY_SECONDS` and unparks the item, so the router offers it again from
  its place, and the dialling round calls the citizen once an official accepts.

After `CALLBACK_MAX_ATTEMPTS` calls the callback is `failed`, its work item `abandoned` (the
queues' abandonment figures count it) and the conversation `abandoned` with wrap-up code
`devolucion_sin_respuesta` and a `callback_closed` event in the call's history.

The due time lives in the database (the last attempt's event + the delay), so a retry job lost
with a restart is enqueued again by `due_retries`, which the dialling round runs; the job re-checks
the callback's state and the clock, so running it twice, early or late changes nothing wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.jobs.port import JobContext, Jobs
from contact_center.core.uow import UnitOfWork
from ivr.models import VoiceCallback
from ivr.queueing import CallQueue
from routing import bus

log = logging.getLogger(__name__)
RETRY_JOB = "ivr.callback_retry:retry_callback_job"
PARKED = "callback"  # work_items.distributor of a callback waiting for its next attempt
NOT_ANSWERED = "callback_not_answered"
DIAL_REFUSED = "callback_dial_refused"
ATTEMPT_KINDS = (NOT_ANSWERED, DIAL_REFUSED)  # one call_events row per spent attempt, either kind
REFUSED = "dial-refused"  # the outcome of a refused dial (as `no-answer`, `busy`... of a call)
CLOSED = "callback_closed"
NO_ANSWER_CODE = "devolucion_sin_respuesta"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    delay_seconds: float


@dataclass(frozen=True)
class CallbackOutcomes:
    """What happens when a callback's outgoing call ends; on the app's `VoiceLine`."""

    policy: RetryPolicy
    jobs: Jobs | None  # None: no jobs port on this app (then the dialling round re-drives)
    queue: CallQueue | None

    async def not_answered(self, uow: UnitOfWork, callback: VoiceCallback, outcome: str) -> None:
        """The citizen did not answer attempt `callback.attempts`: retry later, or close it."""
        if callback.status != "dialing":  # a replayed status callback: that attempt is settled
            return
        await self._spent(uow, callback, NOT_ANSWERED, outcome, provider_ref=callback.provider_ref or "")

    async def dial_refused(
        self, uow: UnitOfWork, callback: VoiceCallback, official_id: int, error: str
    ) -> None:
        """The provider refused to place attempt `callback.attempts` (for `official_id`, who
        accepted it): the same retry or close as an unanswered call; `error` is what it said."""
        callback.official_id = official_id
        await self._spent(uow, callback, DIAL_REFUSED, REFUSED, error=error)

    async def _spent(
        self, uow: UnitOfWork, callback: VoiceCallback, kind: str, outcome: str, **data: str
    ) -> None:
        call = await uow.session.get(Conversation, callback.conversation_id, with_for_update=True)
        assert call is not None
        now = uow.clock.now()
        attempt = callback.attempts
        _record(
            uow, call.id, kind, f"callback-attempt:{attempt}", now, attempt=attempt, outcome=outcome, **data
        )
        if attempt < self.policy.max_attempts:
            await _park(uow, call.id, callback.official_id)
            callback.status, callback.official_id = "retry", None
            call.state, call.official_id, call.ended_at = "queued", None, None
            due = now + timedelta(seconds=self.policy.delay_seconds)
            if self.jobs is not None:
                await self.jobs.enqueue(RETRY_JOB, callback.id, attempt, job_id=_job_id(callback), at=due)
            log.info("ivr_callback_retry", extra={"callback_id": callback.id, "attempt": attempt})
            return
        callback.status = "failed"
        call.state, call.ended_at, call.wrap_up_code = "abandoned", now, NO_ANSWER_CODE
        _record(uow, call.id, CLOSED, "callback-closed", now, attempts=attempt, outcome=outcome)
        # The citizen was never reached: the item leaves the line as abandoned (the queue's figures
        # count it so); the last official is freed without a wrap-up, as there was no call.
        await _park(uow, call.id, callback.official_id)
        if self.queue is not None:
            await self.queue.abandon(uow, call.id)
        log.info("ivr_callback_failed", extra={"callback_id": callback.id, "attempts": attempt})


async def retry_callback_job(ctx: JobContext, callback_id: int, attempt: int) -> None:
    """Put a parked callback back in the router's line once its delay has passed."""
    async with ctx.uow() as uow:
        callback = await uow.session.get(VoiceCallback, callback_id, with_for_update=True)
        if callback is None or callback.attempts != attempt:
            return  # gone, or an older attempt's job: nothing to do
        if callback.status == "dialing":
            # The failure that scheduled this job may not be committed yet: try again shortly.
            raise RuntimeError(f"callback {callback_id}: attempt {attempt} not settled yet")
        if callback.status != "retry":
            return
        failed_at = await _failed_at(uow, callback)
        delay = timedelta(seconds=ctx.settings.callback_retry_delay_seconds)
        if failed_at is not None and failed_at + delay > uow.clock.now():
            return  # early (a clock or a runner ahead of time): the dialling round re-drives it
        callback.status = "pending"
        items = await _unpark(uow, callback.conversation_id)
        await uow.commit()
    log.info("ivr_callback_requeued", extra={"callback_id": callback_id, "items": items})


async def due_retries(uow: UnitOfWork, jobs: Jobs, delay_seconds: float) -> int:
    """Enqueue the retry job of every parked callback whose delay has passed; returns how many.

    Run by the dialling round: a job lost with a restart (or never run on a fake clock) is
    enqueued again, once per callback and attempt while it is pending."""
    waiting = (
        await uow.session.execute(
            select(VoiceCallback.id, VoiceCallback.attempts, func.max(CallEvent.at))
            .join(CallEvent, CallEvent.conversation_id == VoiceCallback.conversation_id)
            .where(VoiceCallback.status == "retry", CallEvent.kind.in_(ATTEMPT_KINDS))
            .group_by(VoiceCallback.id, VoiceCallback.attempts)
        )
    ).all()
    now, delay = uow.clock.now(), timedelta(seconds=delay_seconds)
    due = [
        (callback_id, attempts) for callback_id, attempts, failed_at in waiting if failed_at + delay <= now
    ]
    for callback_id, attempts in due:
        # Not the delayed job's id: that one may still be sleeping in a runner that lost track
        # of time (a restart, a fake clock); whichever runs first unparks, the other finds nothing.
        job_id = f"callback-retry:{callback_id}:{attempts}:due"
        await jobs.enqueue(RETRY_JOB, callback_id, attempts, job_id=job_id)
    return len(due)


def _job_id(callback: VoiceCallback) -> str:
    return f"callback-retry:{callback.id}:{callback.attempts}"


async def _failed_at(uow: UnitOfWork, callback: VoiceCallback) -> datetime | None:
    at: datetime | None = await uow.session.scalar(
        select(CallEvent.at).where(
            CallEvent.conversation_id == callback.conversation_id,
            CallEvent.dedup_key == f"callback-attempt:{callback.attempts}",
        )
    )
    return at


async def _park(uow: UnitOfWork, conversation_id: int, official_id: int | None) -> None:
    """The assigned item waits again at its original place, out of the router's offers."""
    items = (
        await uow.session.scalars(
            update(WorkItem)
            .where(WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned")
            .values(
                status="waiting",
                official_id=None,
                offered_at=None,
                assigned_at=None,
                distributor=PARKED,
                updated_at=uow.clock.now(),
            )
            .returning(WorkItem.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await bus.announce(uow, items=items, officials=[official_id] if official_id else [])


async def _unpark(uow: UnitOfWork, conversation_id: int) -> list[int]:
    rows = await uow.session.execute(
        update(WorkItem)
        .where(
            WorkItem.conversation_id == conversation_id,
            WorkItem.status == "waiting",
            WorkItem.distributor == PARKED,
        )
        .values(distributor=None, updated_at=uow.clock.now())
        .returning(WorkItem.id)
        .execution_options(synchronize_session=False)
    )
    items = [row.id for row in rows]
    await bus.announce(uow, items=items)
    return items


def _record(uow: UnitOfWork, conversation_id: int, kind: str, key: str, at: datetime, **data: object) -> None:
    uow.session.add(CallEvent(conversation_id=conversation_id, kind=kind, dedup_key=key, data=data, at=at))
