"""Delivery of stored outbound messages (e-mail and SMS): one function, whatever job asks for it.

Several jobs may ask to deliver the same `outbound_messages` row — the acknowledgement's
`ack:{id}`, a notice's `msg:{id}`, the sweep re-driving a row whose job was lost, a retry. Each
delivery first *claims* the row with one conditional UPDATE:

    UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1,
           claimed_until = :now + :lease
     WHERE id = :id AND status <> 'sent'
       AND (claimed_until IS NULL OR claimed_until < :now)

Only the delivery whose UPDATE changed the row sends; the others return at once. The outcome is
recorded only by the claim's owner (the attempt number is the fencing token), which also clears
the lease. A sender that dies mid-way leaves a lease that runs out (`LEASE_SECONDS`); the sweep
then finds the row (`redrivable`) and another delivery claims it.

What this cannot rule out: a process that dies after the provider accepted the message and before
the outcome is recorded; that message goes out again once the lease has passed (at least once, at
most once per lease).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update

from contact_center.persistence.outbound_models import OutboundMessage
from contact_center.services.mail import FAILED, PENDING, SENT, Mailer, MailUnavailable
from contact_center.services.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SENDING = "sending"
LEASE_SECONDS = 120.0  # well above the SMTP and Twilio client timeouts (10 s)
CLAIMED, MISSING = "claimed", "missing"


class SmsSender(Protocol):
    """Outgoing SMS; `channels.twilio_sms.TwilioSms` is the production one."""

    async def send(self, to: str, body: str) -> str: ...


@dataclass(frozen=True)
class Senders:
    """The adapters a delivery may use; None when that channel is not configured."""

    mailer: Mailer | None = None
    sms: SmsSender | None = None


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


async def claim(uow: UnitOfWork, outbound_id: int, lease_seconds: float = LEASE_SECONDS) -> Claim | None:
    """Take the row for sending and commit; None when it is sent, missing, or claimed by another."""
    now = uow.clock.now()
    until = now + timedelta(seconds=lease_seconds)
    m = OutboundMessage
    result = await uow.session.execute(
        update(m)
        .where(m.id == outbound_id, m.status != SENT, or_(m.claimed_until.is_(None), m.claimed_until < now))
        .values(status=SENDING, attempts=m.attempts + 1, claimed_until=until)
        .returning(m.attempts, m.channel, m.to, m.subject, m.body)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    await uow.commit()
    if row is None:
        return None
    attempt, channel, to, subject, body = row
    return Claim(outbound_id, attempt, until, channel, to, subject, body)


async def deliver(
    uows: UnitOfWorkFactory, senders: Senders, outbound_id: int, *, lease_seconds: float = LEASE_SECONDS
) -> str:
    """Send a stored message if no other delivery has it, and record the outcome.

    Returns "sent" (now or before), "claimed" (another delivery holds it) or "missing". Raises
    `MailUnavailable` or `SmsUnavailable` after recording a failure, so the job runner retries.
    """
    async with uows() as uow:
        taken = await claim(uow, outbound_id, lease_seconds)
        if taken is None:
            message = await uow.session.get(OutboundMessage, outbound_id)
            return MISSING if message is None else SENT if message.status == SENT else CLAIMED
    error = await _send(senders, taken)
    async with uows() as uow:
        recorded = await _record(uow, taken, error)
    if not recorded:
        log.warning("outbound_lease_lost", extra={"outbound_id": outbound_id, "attempt": taken.attempt})
    if error is not None:
        log.warning("outbound_failed", extra={"outbound_id": outbound_id, "error": error})
        raise _failure(taken.channel, error)
    log.info("outbound_sent", extra={"outbound_id": outbound_id, "channel": taken.channel})
    return SENT


async def _send(senders: Senders, taken: Claim) -> str | None:
    """Hand the message to its channel's adapter; the error text, or None when it went out."""
    from channels.twilio_sms import SmsUnavailable

    try:
        if taken.channel == "email":
            if senders.mailer is None:
                return "SMTP_HOST no está configurado: el correo no se puede enviar."
            await senders.mailer.send(taken.to, taken.subject, taken.body)
        elif taken.channel == "sms":
            if senders.sms is None:
                return "Twilio no está configurado: el SMS no se puede enviar."
            await senders.sms.send(taken.to, taken.body)
        else:
            return f"Canal desconocido: {taken.channel}"
    except (MailUnavailable, SmsUnavailable) as exc:
        return str(exc)
    return None


async def _record(uow: UnitOfWork, taken: Claim, error: str | None) -> bool:
    """Record the outcome and release the lease, if the claim is still this delivery's."""
    m = OutboundMessage
    values: dict[str, object] = {"claimed_until": None}
    if error is None:
        values.update(status=SENT, sent_at=uow.clock.now(), last_error=None)
    else:
        values.update(status=FAILED, last_error=error[:2000])
    result = await uow.session.execute(
        update(m)
        .where(m.id == taken.outbound_id, m.status == SENDING, m.attempts == taken.attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await uow.commit()
    return bool(getattr(result, "rowcount", 0))


def _failure(channel: str, error: str) -> Exception:
    if channel == "sms":
        from channels.twilio_sms import SmsUnavailable

        return SmsUnavailable(error)
    return MailUnavailable(error)


async def redrivable(uow: UnitOfWork, limit: int = 1000) -> list[int]:
    """Rows to hand to a delivery again: never attempted (`pending`: its job may be lost), or
    abandoned mid-send (`sending` with a lease that ran out: its sender died)."""
    m = OutboundMessage
    now = uow.clock.now()
    rows = await uow.session.scalars(
        select(m.id)
        .where(or_(m.status == PENDING, (m.status == SENDING) & (m.claimed_until < now)))
        .order_by(m.id)
        .limit(limit)
    )
    return list(rows.all())
