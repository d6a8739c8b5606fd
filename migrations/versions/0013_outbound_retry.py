"""outbound_retry: a failed e-mail or SMS is retried by the sweep over a long horizon

`next_attempt_at` is when the sweep may try a `retrying` row again (exponential backoff);
`give_up_at` is set at the first failed attempt (now + OUTBOUND_RETRY_MAX_HOURS), after which a
failure is final (`failed`). A row whose channel is not configured at all waits as `waiting`.
Rows that earlier versions left `failed` after a few job retries get another chance: they become
`retrying`, due now, and the sweep gives up on them only after a whole horizon of attempts.

Revision ID: 0013
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "0013"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("outbound_retry",)
# outbound_messages comes with intake (0004), its lease with escalation_policy (0011, which depends
# on 0004): naming 0011 alone keeps a one-step downgrade of this branch from leaving both behind.
depends_on: str | Sequence[str] | None = ("0011",)

_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("next_attempt_at", _AWARE, nullable=True))
        batch.add_column(sa.Column("give_up_at", _AWARE, nullable=True))
    op.execute("UPDATE outbound_messages SET status = 'retrying' WHERE status = 'failed'")


def downgrade() -> None:
    # The schema before this revision knows `failed` (retried by jobs) and `pending`.
    op.execute("UPDATE outbound_messages SET status = 'failed' WHERE status = 'retrying'")
    op.execute("UPDATE outbound_messages SET status = 'pending' WHERE status = 'waiting'")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("give_up_at")
        batch.drop_column("next_attempt_at")
