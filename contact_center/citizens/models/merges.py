"""The record of officials joining two citizen records of one person (`citizens.merged_into_id`).

Append-only like the tickets' audit trail: database triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class CitizenMerge(Base):
    """One merge: `citizen_id` now points at `into_id` (the survivor `requested_into_id` led to)."""

    __tablename__ = "citizen_merges"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    into_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    requested_into_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(20))  # official (API or CLI --official) | system (CLI)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    via: Mapped[str] = mapped_column(String(10))  # api | cli
    reason: Mapped[str] = mapped_column(Text)
