"""console: canned answers of the agent console, seeded with trámites knowledge of Pasto

Revision ID: 0009
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base
from agents_ui.canned import DEFAULT_ANSWERS

revision: str = "0009"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("console",)
depends_on: str | Sequence[str] | None = None

_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)


def upgrade() -> None:
    table = op.create_table(
        "canned_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=300), nullable=False),
        sa.Column("dependencia_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["dependencia_id"],
            ["dependencias.id"],
            name=op.f("fk_canned_answers_dependencia_id_dependencias"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_answers")),
        sa.UniqueConstraint("shortcut", name=op.f("uq_canned_answers_shortcut")),
    )
    op.create_index(
        op.f("ix_canned_answers_dependencia_id"), "canned_answers", ["dependencia_id"], unique=False
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {"shortcut": s, "title": t, "body": b, "tags": g, "dependencia_id": None, "created_at": now}
            for s, t, b, g in DEFAULT_ANSWERS
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_canned_answers_dependencia_id"), table_name="canned_answers")
    op.drop_table("canned_answers")
