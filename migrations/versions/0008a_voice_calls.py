"""voice_calls: who distributes a work item (the router, or Asterisk's app_queue mirrored by it)

Revision ID: 0008a
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008a"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("voice_calls",)
depends_on: str | Sequence[str] | None = ("0008", "0010")  # the voice tables and work_items


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("distributor", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("distributor")
