"""Citizens' accounts on the "Pasto Gobierno en Línea" mobile app: logins, tokens, email checks.

An account belongs to one `Citizen` once its email is verified; before that it has no citizen, so
an unproven email never joins anybody's history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId


class CitizenAccount(Base):
    __tablename__ = "citizen_accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    # What the citizen typed at sign-up; it joins a citizen only through the verified email.
    document_type: Mapped[str | None] = mapped_column(String(10))
    document_number: Mapped[str | None] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(20))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    # Ley 1581: the notice accepted at sign-up; it becomes a data_consents row once there is a citizen.
    privacy_notice_version: Mapped[str] = mapped_column(String(40))
    email_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class CitizenToken(Base):
    """App session tokens: only a SHA-256 of the token is stored, as for officials."""

    __tablename__ = "citizen_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("citizen_accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class EmailVerification(Base):
    """A single-use, expiring token sent by email to prove the citizen controls the address."""

    __tablename__ = "email_verifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("citizen_accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
