"""legal clock: PQRD term overrides and clock settings an administrator changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contact_center.core.db.base import AwareDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("legal",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pqrd_terms",
        sa.Column("pqrd_type", sa.String(length=30), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["officials.id"], name=op.f("fk_pqrd_terms_updated_by_officials")
        ),
        sa.PrimaryKeyConstraint("pqrd_type", name=op.f("pk_pqrd_terms")),
    )
    op.create_table(
        "legal_clock_settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["officials.id"], name=op.f("fk_legal_clock_settings_updated_by_officials")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_legal_clock_settings")),
    )


def downgrade() -> None:
    op.drop_table("legal_clock_settings")
    op.drop_table("pqrd_terms")
