"""Tables of the PQRD legal clock that an administrator changes: terms by type and clock settings.

Local closure days live in `business_closures` (models.py). Each ticket keeps the term it was filed
with (`tickets.term_days`), so changing a term here applies to PQRDs filed afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base


class PqrdTerm(Base):
    """An administrator's override of the legal term of one PQRD type, in business days."""

    __tablename__ = "pqrd_terms"
    pqrd_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    term_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class LegalClockSetting(Base):
    """One setting where the law is read in more than one way (see README, "PQRD legal clock")."""

    __tablename__ = "legal_clock_settings"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
