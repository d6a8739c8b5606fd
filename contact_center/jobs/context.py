"""Wiring shared by both runners: the mailer a job context carries, which outbound channels are
configured, and the retry policy of outbound messages."""

from __future__ import annotations

import logging

from contact_center.config import Settings
from contact_center.jobs.port import Mailer
from contact_center.services.outbound_retry import RetryPolicy

log = logging.getLogger(__name__)


def build_mailer(settings: Settings) -> Mailer | None:
    """The SMTP mailer when SMTP_HOST is set, else None (messages wait as `waiting`)."""
    if not settings.smtp_host:
        return None
    from contact_center.services.mail import SmtpMailer

    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)


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


def warn_unconfigured_channels(settings: Settings) -> None:
    """Say once, at start-up of the process that sends, which channels cannot send: their messages
    are kept as `waiting` (not retried) until the channel is configured and the service restarted."""
    missing = sorted({"email", "sms"} - configured_channels(settings))
    if missing:
        log.warning(
            "outbound_not_configured",
            extra={
                "channels": missing,
                "hint": "e-mail needs SMTP_HOST; SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_FROM_NUMBER. Their messages wait in outbound_messages (status waiting) and "
                "are sent after the restart that configures them.",
            },
        )
