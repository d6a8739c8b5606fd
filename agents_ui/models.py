"""Tables of the agent console: canned answers officials insert with a shortcut such as `/saludo`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base


class CannedAnswer(Base):
    """A prepared reply; `dependencia_id` None means every official may use it."""

    __tablename__ = "canned_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(300), default="")
    dependencia_id: Mapped[int | None] = mapped_column(ForeignKey("dependencias.id"), index=True)
    created_at: Mapped[datetime]
