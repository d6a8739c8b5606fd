"""Delivery of stored outbound messages (e-mail and SMS): one function, whatever job asks for it.

Several jobs may ask to deliver the same `outbound_messages` row — the acknowledgement's
`ack:{id}`, a notice's `msg:{id}`, the sweep re-driving a row whose job was lost, a retry. Each
delivery first *claims* the row with one conditional UPDATE:

    UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1,
           claimed_until = :now + :lease
     WHERE id = :id AND status IN ('pending', 'sending', 'retrying', 'waiting')
       AND (claimed_until IS NULL OR claimed_until < :now)
       AND (next_attempt_at IS NULL OR next_attempt_at <= :now)

Only the delivery whose UPDATE changed the row sends; the others return at once. The outcome is
recorded only by the claim's owner (the attempt number is the fencing token), which also clears
the lease. A sender that dies mid-way leaves a lease that runs out (`LEASE_SECONDS`); the sweep
then finds the row (`redrivable`) and another delivery claims it.

What this cannot rule out: a process that dies after the provider accepted the message and before
the outcome is recorded; that message goes out again once the lease has passed (at least once, at
most once per lease).

A failed attempt does not raise to the job runner: the row becomes `retrying` with its
`next_attempt_at` (`outbound_retry`), and the sweep hands it to a delivery again when that time
comes, so retries survive restarts and the loss of Redis, and stop at `give_up_at` (`failed`).
A row whose channel has no adapter at all (no SMTP_HOST, no Twilio account) is not attempted: it
becomes `waiting`, logged once, and the sweep of a process that has the channel configured sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from contact_center.core.config import Settings
from contact_center.core.jobs.port import SmsSender, SmsUnavailable
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.outbound.domain import RETRYING, WAITING, RetryPolicy, after_failure
from contact_center.outbound.models import OutboundMessage
from contact_center.outbound.services.mail import FAILED, PENDING, SENT, Mailer, MailUnavailable

log = logging.getLogger(__name__)

SENDING = "sending"
LEASE_SECONDS = 120.0  # well above the SMTP and Twilio client timeouts (10 s)
CLAIMED, MISSING = "claimed", "missing"
# Statuses a delivery may take a row from (`sending` only once its lease ran out).
CLAIMABLE = (PENDING, SENDING, RETRYING, WAITING)
DEFAULT_POLICY = RetryPolicy()
# Why a `waiting` row was not attempted (its last_error), per channel.
NOT_CONFIGURED = {
    "email": "SMTP_HOST no está configurado: el correo espera a que se configure y se reinicie el servicio.",
    "sms": "Twilio no está configurado: el SMS espera a que se configure y se reinicie el servicio.",
}
# Every status a row may have, for the /metrics gauge.
STATUSES = (PENDING, SENDING, SENT, RETRYING, WAITING, FAILED)


def configured_channels(settings: Settings) -> frozenset[str]:
    """The outbound channels this process can send on: e-mail with SMTP_HOST, SMS with Twilio."""
    channels = {"email"} if settings.smtp_host else set()
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        channels.add("sms")
    return frozenset(channels)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base_seconds=settings.outbound_retry_base_seconds, max_hours=settings.outbound_retry_max_hours
    )


@dataclass(frozen=True)
class Senders:
    """The adapters a delivery may use; None when that channel is not configured."""

    mailer: Mailer | None = None
    sms: SmsSender | None = None

    def channels(self) -> frozenset[str]:
        """The channels this delivery can send on."""
        return frozenset(c for c, a in (("email", self.mailer), ("sms", self.sms)) if a is not None)


@dataclass(frozen=True)
class Claim:
    """A row this delivery owns until `until`; `attempt` fences the recording of its outcome."""

    outbound_id: int
    attempt: int
    until: datetime
    channel: str
    to: str
    subject: str
    body: str
    give_up_at: datetime | None


async def claim(
    uow: UnitOfWork,
    outbound_id: int,
    lease_seconds: float = LEASE_SECONDS,
    channels: Collection[str] = ("email", "sms"),
) -> Claim | None:
    """Take the row for sending and commit; None when it is sent, failed for good, missing, claimed
    by another, not due yet (`retrying`), or `waiting` for a channel not among `channels`."""
    now = uow.clock.now()
    until = now + timedelta(seconds=lease_seconds)
    m = OutboundMessage
    result = await uow.session.execute(
        update(m)
        .where(
            m.id == outbound_id,
            m.status.in_(CLAIMABLE),
            or_(m.claimed_until.is_(None), m.claimed_until < now),
            or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now),
            or_(m.status != WAITING, m.channel.in_(list(channels))),
        )
        .values(status=SENDING, attempts=m.attempts + 1, claimed_until=until)
        .returning(m.attempts, m.channel, m.to, m.subject, m.body, m.give_up_at)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    await uow.commit()
    if row is None:
        return None
    attempt, channel, to, subject, body, give_up_at = row
    return Claim(outbound_id, attempt, until, channel, to, subject, body, give_up_at)


async def deliver(
    uows: UnitOfWorkFactory,
    senders: Senders,
    outbound_id: int,
    *,
    lease_seconds: float = LEASE_SECONDS,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> str:
    """Send a stored message if no other delivery has it, and record the outcome.

    Returns the row's status afterwards: "sent" (now or before), "retrying" (this attempt or an
    earlier one failed; the sweep tries again), "waiting" (its channel is not configured), "failed"
    (given up), or "claimed" (another delivery holds it) or "missing". A transport failure does not
    raise: the retry is the sweep's, from the row.
    """
    async with uows() as uow:
        taken = await claim(uow, outbound_id, lease_seconds, senders.channels())
        if taken is None:
            message = await uow.session.get(OutboundMessage, outbound_id)
            return MISSING if message is None else CLAIMED if message.status == SENDING else message.status
    if taken.channel not in senders.channels():
        return await _hold(uows, taken)
    error = await _send(senders, taken)
    async with uows() as uow:
        outcome = await _record(uow, taken, error, policy)
    if outcome is None:
        log.warning("outbound_lease_lost", extra={"outbound_id": outbound_id, "attempt": taken.attempt})
        return CLAIMED
    if error is None:
        log.info("outbound_sent", extra={"outbound_id": outbound_id, "channel": taken.channel})
    elif outcome == RETRYING:
        log.warning(
            "outbound_failed",
            extra={"outbound_id": outbound_id, "attempt": taken.attempt, "error": error},
        )
    else:
        log.error(
            "outbound_gave_up",
            extra={"outbound_id": outbound_id, "attempt": taken.attempt, "error": error},
        )
    return outcome


async def _hold(uows: UnitOfWorkFactory, taken: Claim) -> str:
    """Park a message whose channel is not configured: no attempt is made or counted, one log line,
    and the sweep leaves it alone until a process with that channel configured runs."""
    reason = NOT_CONFIGURED.get(taken.channel, f"Canal desconocido: {taken.channel}")
    m = OutboundMessage
    async with uows() as uow:
        await uow.session.execute(
            update(m)
            .where(m.id == taken.outbound_id, m.status == SENDING, m.attempts == taken.attempt)
            .values(status=WAITING, attempts=m.attempts - 1, claimed_until=None, last_error=reason)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
    log.info("outbound_waiting_for_configuration", extra={"outbound_id": taken.outbound_id})
    return WAITING


async def _send(senders: Senders, taken: Claim) -> str | None:
    """Hand the message to its channel's adapter; the error text, or None when it went out."""
    try:
        if taken.channel == "email" and senders.mailer is not None:
            await senders.mailer.send(taken.to, taken.subject, taken.body)
        elif taken.channel == "sms" and senders.sms is not None:
            await senders.sms.send(taken.to, taken.body)
    except (MailUnavailable, SmsUnavailable) as exc:
        return str(exc)
    return None


async def _record(uow: UnitOfWork, taken: Claim, error: str | None, policy: RetryPolicy) -> str | None:
    """Record the outcome and release the lease, if the claim is still this delivery's; the row's
    new status, or None when the claim was lost."""
    m = OutboundMessage
    now = uow.clock.now()
    values: dict[str, object] = {"claimed_until": None, "next_attempt_at": None}
    if error is None:
        values.update(status=SENT, sent_at=now, last_error=None)
    else:
        after = after_failure(policy, taken.attempt, now, taken.give_up_at)
        values.update(
            status=after.status,
            last_error=error[:2000],
            next_attempt_at=after.next_attempt_at,
            give_up_at=after.give_up_at,
        )
    result = await uow.session.execute(
        update(m)
        .where(m.id == taken.outbound_id, m.status == SENDING, m.attempts == taken.attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await uow.commit()
    return str(values["status"]) if getattr(result, "rowcount", 0) else None


@dataclass(frozen=True)
class Redrive:
    """A row the sweep hands to a delivery job again, with the job id of this attempt."""

    outbound_id: int
    job_id: str


async def redrivable(uow: UnitOfWork, channels: Collection[str], limit: int = 1000) -> list[Redrive]:
    """Rows to hand to a delivery again: never attempted (`pending`: its job may be lost), abandoned
    mid-send (`sending` with a lease that ran out: its sender died), due for another try
    (`retrying`), or `waiting` for a channel that is among the configured `channels` now.

    The job id names the row's status and attempt count, so each re-drive is a new job even where
    a finished job's id is remembered for a while (RQ keeps results for an hour).
    """
    m = OutboundMessage
    now = uow.clock.now()
    rows = await uow.session.execute(
        select(m.id, m.status, m.attempts)
        .where(
            or_(
                m.status == PENDING,
                and_(m.status == SENDING, m.claimed_until < now),
                and_(m.status == RETRYING, or_(m.next_attempt_at.is_(None), m.next_attempt_at <= now)),
                and_(m.status == WAITING, m.channel.in_(list(channels))),
            )
        )
        .order_by(m.id)
        .limit(limit)
    )
    return [Redrive(i, f"msg:{i}:{status}:{attempts}") for i, status, attempts in rows.all()]
