"""The shared relational model (docs/architecture.md): citizens, conversations, tickets, officials, queues.

Statuses and kinds are stored as short strings validated by the domain, not as database enums,
so adding one is a code change and not a migration on both PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contact_center.core.db.base import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for large tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Dependencia(Base):
    __tablename__ = "dependencias"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    is_triage: Mapped[bool] = mapped_column(Boolean, default=False)


class Citizen(Base):
    __tablename__ = "citizens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    identities: Mapped[list[CitizenIdentity]] = relationship(back_populates="citizen")


class CitizenIdentity(Base):
    """One way to recognise a citizen: phone (E.164), email, document, app account, chat visitor."""

    __tablename__ = "citizen_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    citizen: Mapped[Citizen] = relationship(back_populates="identities")


class DataConsent(Base):
    """Ley 1581 de 2012: the consent given and the version of the privacy notice shown."""

    __tablename__ = "data_consents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    notice_version: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime]


class Skill(Base):
    __tablename__ = "skills"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Official(Base):
    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    dependencia_id: Mapped[int | None] = mapped_column(ForeignKey("dependencias.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    presence: Mapped[str] = mapped_column(String(20), default="offline")
    away_reason: Mapped[str | None] = mapped_column(String(100))
    presence_since: Mapped[datetime | None]
    wrap_up_until: Mapped[datetime | None]
    idle_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    skills: Mapped[list[OfficialSkill]] = relationship(cascade="all, delete-orphan")
    capacities: Mapped[list[OfficialCapacity]] = relationship(cascade="all, delete-orphan")


class OfficialSkill(Base):
    __tablename__ = "official_skills"
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    skill: Mapped[Skill] = relationship()


class OfficialCapacity(Base):
    __tablename__ = "official_capacities"
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)


class AuthToken(Base):
    """Opaque bearer tokens: only an HMAC of the token is stored, so a leaked table opens nothing."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Queue(Base):
    __tablename__ = "queues"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    dependencia_id: Mapped[int | None] = mapped_column(ForeignKey("dependencias.id"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    sl_threshold_seconds: Mapped[int] = mapped_column(Integer, default=20)
    sl_target_percent: Mapped[int] = mapped_column(Integer, default=80)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Open on public holidays and closure days too (an emergency line); migration 0012.
    open_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    skills: Mapped[list[QueueSkill]] = relationship(cascade="all, delete-orphan")


class QueueSkill(Base):
    __tablename__ = "queue_skills"
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer, default=1)
    skill: Mapped[Skill] = relationship()


class BusinessClosure(Base):
    """A local non-business day decreed by the city (for example Carnaval de Negros y Blancos)."""

    __tablename__ = "business_closures"
    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class RadicadoSequence(Base):
    """The last radicado number given in a year; its row lock serialises concurrent filings."""

    __tablename__ = "radicado_sequences"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # Partial (migration 0006): the escalation sweep reads only tickets with a next step.
        Index(
            "ix_tickets_next_escalation_at",
            "next_escalation_at",
            postgresql_where=text("next_escalation_at IS NOT NULL"),
            sqlite_where=text("next_escalation_at IS NOT NULL"),
        ),
        Index("ix_tickets_status_due_date", "status", "due_date"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    radicado: Mapped[str] = mapped_column(String(20), unique=True)
    pqrd_type: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    dependencia_id: Mapped[int] = mapped_column(ForeignKey("dependencias.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    filed_at: Mapped[datetime]
    received_on: Mapped[date]
    term_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date]
    original_due_date: Mapped[date]
    clock: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    access_code_hash: Mapped[str] = mapped_column(String(64))
    notify_by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    next_escalation_at: Mapped[datetime | None]
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    public_answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TicketEvent(Base):
    """Append-only audit trail; database triggers refuse UPDATE and DELETE, a hash chain shows tampering."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    # A recording kept by the telephony provider (Twilio URL, Asterisk spool path): the file is
    # referenced, not copied, and `sha256` then identifies the reference (migration 0008).
    source_url: Mapped[str | None] = mapped_column(String(500))


class Conversation(Base):
    """One live interaction on one channel.

    `external_id` (CallSid, AMI Uniqueid, chat id) makes a provider's retry harmless.
    """

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="open")
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    topic: Mapped[str | None] = mapped_column(String(200))
    flow_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    wrap_up_code: Mapped[str | None] = mapped_column(String(60))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "client_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender: Mapped[str] = mapped_column(String(20))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CallEvent(Base):
    """Telephony events of a call conversation (queue join, agent connect, hang-up...)."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("conversation_id", "dedup_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedup_key: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]


class IdempotencyRecord(Base):
    """The first answer to a POST carrying an `Idempotency-Key`, replayed to retries."""

    __tablename__ = "idempotency_records"
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
