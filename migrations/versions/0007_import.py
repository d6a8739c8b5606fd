"""ticket_imports: PQRDs imported from the city's old records, keyed by their original radicado

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contact_center.core.db.base import AwareDateTime

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("import",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_imports",
        sa.Column("original_radicado", sa.String(length=60), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("imported_at", AwareDateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["officials.id"], name=op.f("fk_ticket_imports_imported_by_officials")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_imports_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("original_radicado", name=op.f("pk_ticket_imports")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticket_imports_ticket_id")),
    )


def downgrade() -> None:
    op.drop_table("ticket_imports")
