"""citizen accounts of the mobile app: accounts, session tokens, email verifications

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contact_center.core.db.base import AwareDateTime

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("citizen_accounts",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "citizen_accounts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document_type", sa.String(length=10), nullable=True),
        sa.Column("document_number", sa.String(length=30), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("citizen_id", _ID, nullable=True),
        sa.Column("privacy_notice_version", sa.String(length=40), nullable=False),
        sa.Column("email_verified_at", AwareDateTime(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_citizen_accounts_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_citizen_accounts_email")),
    )
    with op.batch_alter_table("citizen_accounts") as batch:
        batch.create_index(batch.f("ix_citizen_accounts_citizen_id"), ["citizen_id"], unique=False)
    for table in ("citizen_tokens", "email_verifications"):
        _create_token_table(table, used_column="revoked_at" if table == "citizen_tokens" else "used_at")


def _create_token_table(table: str, *, used_column: str) -> None:
    op.create_table(
        table,
        sa.Column("id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("expires_at", AwareDateTime(), nullable=False),
        sa.Column(used_column, AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["citizen_accounts.id"],
            name=op.f(f"fk_{table}_account_id_citizen_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
    )
    with op.batch_alter_table(table) as batch:
        batch.create_index(batch.f(f"ix_{table}_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    for table in ("email_verifications", "citizen_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_account_id"))
        op.drop_table(table)
    with op.batch_alter_table("citizen_accounts") as batch:
        batch.drop_index(batch.f("ix_citizen_accounts_citizen_id"))
    op.drop_table("citizen_accounts")
