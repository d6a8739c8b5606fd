"""queue_hours: a queue may stay open on public holidays and closure days

A queue's weekly business hours already live in `queues.business_hours`; by default a queue is
closed all day on a Colombian public holiday or an administrator's closure day of the business
calendar. `open_on_holidays` says otherwise for a queue that never closes (an emergency line).

Revision ID: 0012
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("queue_hours",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(
            sa.Column("open_on_holidays", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )


def downgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("open_on_holidays")
