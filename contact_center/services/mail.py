"""Outgoing e-mail: the `Mailer` port, its SMTP adapter, and the evidence of every delivery.

A message to a citizen is first stored as an `outbound_messages` row (`queue_message`, inside the
transaction that decided to send it), then delivered outside any transaction (`deliver`), which
records the outcome on that row: `sent` with the time, or `failed` with the attempts and the last
error. So the record of what the city told a citizen never depends on the mail server being up.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Protocol

import aiosmtplib

from contact_center.persistence.outbound_models import OutboundMessage
from contact_center.services.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"


class MailUnavailable(Exception):
    """The mail server could not be reached or refused the message; worth retrying later."""


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None:
        """Send a plain-text message; raise `MailUnavailable` when it did not go out."""
        ...


class SmtpMailer:
    """`Mailer` over SMTP with aiosmtplib (STARTTLS when the server offers it)."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        name, address = parseaddr(self.sender)
        message["From"] = formataddr((name, address))
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=address.partition("@")[2] or None)
        message.set_content(body)
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailUnavailable(f"{type(exc).__name__}: {exc}") from exc


async def queue_message(
    uow: UnitOfWork,
    *,
    to: str,
    subject: str,
    body: str,
    channel: str = "email",
    ticket_id: int | None = None,
) -> OutboundMessage:
    """Store a message to send as `pending`, in the caller's transaction (flushed, not committed)."""
    row = OutboundMessage(
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        status=PENDING,
        attempts=0,
        ticket_id=ticket_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def record_delivery(uow: UnitOfWork, message: OutboundMessage, *, error: str | None) -> None:
    """Record one delivery attempt on the message: sent (error None) or failed with the error."""
    message.attempts += 1
    if error is None:
        message.status, message.sent_at, message.last_error = SENT, uow.clock.now(), None
    else:
        message.status, message.last_error = FAILED, error[:2000]


async def deliver(uows: UnitOfWorkFactory, mailer: Mailer | None, outbound_id: int) -> str:
    """Send a stored e-mail once and record the outcome; returns the message's status afterwards.

    A message already sent is not sent again (jobs may run twice). Raises `MailUnavailable` after
    recording a failure, so the job runner retries with backoff.
    """
    async with uows() as uow:
        message = await uow.session.get(OutboundMessage, outbound_id)
        if message is None or message.status == SENT:
            return SENT if message is not None else "missing"
        to, subject, body = message.to, message.subject, message.body
    error: str | None = None
    if mailer is None:
        error = "SMTP_HOST no está configurado: el correo no se puede enviar."
    else:
        try:
            await mailer.send(to, subject, body)
        except MailUnavailable as exc:
            error = str(exc)
    async with uows() as uow:
        message = await uow.session.get(OutboundMessage, outbound_id, with_for_update=True)
        assert message is not None
        await record_delivery(uow, message, error=error)
        await uow.commit()
    if error is not None:
        log.warning("mail_failed", extra={"outbound_id": outbound_id, "error": error})
        raise MailUnavailable(error)
    log.info("mail_sent", extra={"outbound_id": outbound_id})
    return SENT
