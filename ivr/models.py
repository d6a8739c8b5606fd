"""Tables of the 195 line: verbal filings keyed by call step, queued callbacks, queue call figures.

`ivr_filings` makes a retried recording webhook harmless: the unique (conversation, step) pair is
the key of a verbal PQRD, so the same recording can never be filed twice. `voice_callbacks` keeps a
caller's place in the queue while the line is free. `voice_queue_stats` holds per-queue, per-day
figures of Asterisk queues, written in batches by the AMI mirror.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class IvrFiling(Base):
    """A PQRD filed by voice, keyed by the call and the IVR step that filed it."""

    __tablename__ = "ivr_filings"
    __table_args__ = (UniqueConstraint("conversation_id", "step"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    radicado: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class VoiceCallback(Base):
    """A caller who asked to be called back instead of waiting; their work item keeps the turn.

    status: `pending` (waiting for an official), `dialing` (an official accepted, the call is being
    originated), `retry` (not answered; its work item parked until the next attempt, see
    `ivr.callback_retry`), `done`, `failed` (not answered at the last attempt, or undialable).
    """

    __tablename__ = "voice_callbacks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    queue_code: Mapped[str] = mapped_column(String(60))
    number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    dialed_at: Mapped[datetime | None]


class VoiceQueueStats(Base):
    """Figures of one Asterisk queue on one day (America/Bogota), from the AMI event stream."""

    __tablename__ = "voice_queue_stats"
    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    joined: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[int] = mapped_column(Integer, default=0)
