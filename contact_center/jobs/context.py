"""Wiring shared by both runners: the mailer and the SMS adapter a job context carries, and the
start-up warning about outbound channels that cannot send."""

from __future__ import annotations

import logging

from channels.twilio.sms import build_sms
from contact_center.core.config import Settings
from contact_center.core.jobs.port import Mailer, SmsSender
from contact_center.outbound.services.delivery import configured_channels

log = logging.getLogger(__name__)


def build_mailer(settings: Settings) -> Mailer | None:
    """The SMTP mailer when SMTP_HOST is set, else None (messages wait as `waiting`)."""
    if not settings.smtp_host:
        return None
    from contact_center.outbound.services.mail import SmtpMailer

    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)


def build_sms_sender(settings: Settings) -> SmsSender | None:
    """The Twilio SMS adapter when the account is configured, else None (messages wait)."""
    return build_sms(settings)


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
