"""PQRDs imported from the city's old records: the original radicado is the key that makes a
re-import of the same file change nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class TicketImport(Base):
    """One imported record: its number in the old system and the ticket it became."""

    __tablename__ = "ticket_imports"
    original_radicado: Mapped[str] = mapped_column(String(60), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id"), unique=True)
    source: Mapped[str] = mapped_column(String(255))
    source_row: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
