"""rate_counters: abuse-limit counters shared by every process when REDIS_URL is not set

Failed log-ins and access codes, filings and registrations are counted per account, case and
client address in fixed windows; one upsert per hit (INSERT ... ON CONFLICT DO UPDATE ... RETURNING)
keeps the count exact under concurrency on both engines.

Revision ID: hardening_rate_counters
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "hardening_rate_counters"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("rate_counters",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_expires_at"), "rate_counters", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_counters_expires_at"), table_name="rate_counters")
    op.drop_table("rate_counters")
