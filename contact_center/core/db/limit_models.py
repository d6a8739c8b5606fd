"""Counters of the abuse limits when there is no Redis (`contact_center.core.counters`)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base


class RateCounter(Base):
    """One counter in a fixed window: `count` hits since the window opened, until `expires_at`
    (seconds since the epoch, by the service's clock). An expired row is reset by the next hit
    and deleted by the sweep."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
