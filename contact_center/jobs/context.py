"""Wiring shared by both runners: the mailer a job context carries."""

from __future__ import annotations

from contact_center.config import Settings
from contact_center.jobs.port import Mailer


def build_mailer(settings: Settings) -> Mailer | None:
    """The SMTP mailer when SMTP_HOST is set, else None (messages stay recorded as failed)."""
    if not settings.smtp_host:
        return None
    from contact_center.services.mail import SmtpMailer

    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
