"""Outgoing e-mail: the `Mailer` port, its SMTP adapter, and the evidence of every delivery.

A message to a citizen is first stored as an `outbound_messages` row (`queue_message`, inside the
transaction that decided to send it), then delivered outside any transaction (`deliver`), which
records the outcome on that row: `sent` with the time, or `retrying` (then `failed` once the
retry horizon has passed) with the attempts and the last error. So the record of what the city
told a citizen never depends on the mail server being up.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Protocol

import aiosmtplib

from contact_center.core.uow import UnitOfWork
from contact_center.outbound.models import OutboundMessage

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
