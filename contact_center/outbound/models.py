"""Outbound messages (e-mail, SMS): what was sent to a citizen, when, and whether it went out.

Each row is evidence: the acknowledgement of a PQRD is stored here with its full text before any
attempt to send it, so a failed SMTP server leaves a `retrying` row with the error, which the sweep
tries again (contact_center.outbound.services.delivery).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_status", "status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # pending | sending | sent | retrying | waiting (channel not configured) | failed (for good)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A sender's lease on the row while it sends (status `sending`); a crashed sender's row is
    # claimed again once it has passed (contact_center.outbound.services.delivery).
    claimed_until: Mapped[datetime | None]
    # When the sweep may try a `retrying` row again, and after when a failure is final.
    next_attempt_at: Mapped[datetime | None]
    give_up_at: Mapped[datetime | None]
