"""Tables of the trámites catalogue: the trámite, its versions, its audit and what citizens asked.

The published version's searchable text is copied onto the `tramites` row (`search_*`) when it is
published, so a search reads one table; the dialect-specific indexes over it (PostgreSQL GIN
indexes, SQLite FTS5 tables) are created by the migration and kept by `queries`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class Tramite(Base):
    __tablename__ = "tramites"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    dependencia_id: Mapped[int] = mapped_column(ForeignKey("dependencias.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # draft | published | archived
    latest_version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)
    consult_count: Mapped[int] = mapped_column(Integer, default=0)  # orders the 195 menu
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The published version's text, for search (NULL while nothing is published).
    search_name: Mapped[str | None] = mapped_column(Text)
    search_aka: Mapped[str | None] = mapped_column(Text)
    search_body: Mapped[str | None] = mapped_column(Text)
    search_norm: Mapped[str | None] = mapped_column(Text)  # name + synonyms, lower case, no accents
    situations: Mapped[str | None] = mapped_column(String(200))  # " vivienda impuestos " (browsing)


class TramiteVersion(Base):
    __tablename__ = "tramite_versions"
    __table_args__ = (UniqueConstraint("tramite_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tramite_id: Mapped[int] = mapped_column(ForeignKey("tramites.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft | published | superseded
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    published_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]


class TramiteAudit(Base):
    """Every change: who (an official, or the CLI operator as `system`), what, and why."""

    __tablename__ = "tramite_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tramite_id: Mapped[int] = mapped_column(ForeignKey("tramites.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # created | edited | published | archived
    actor_kind: Mapped[str] = mapped_column(String(10))  # official | system
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    via: Mapped[str] = mapped_column(String(10))  # api | cli | import
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class TramiteUsage(Base):
    """What citizens looked for, without personal data: a trámite consulted, a search with no
    result, an answer judged useful or not. `query` holds a normalised search with long digit runs
    masked (a document number typed into the box is not kept)."""

    __tablename__ = "tramite_usage"
    __table_args__ = (Index("ix_tramite_usage_month_kind", "month", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # consulted | no_result | useful | not_useful
    channel: Mapped[str] = mapped_column(String(10))  # portal | app | chat | voice | console
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in Bogotá
    tramite_id: Mapped[int | None] = mapped_column(ForeignKey("tramites.id", ondelete="CASCADE"))
    query: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime]
