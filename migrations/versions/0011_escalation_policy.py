"""escalation_policy: a lease on outbound messages, so each one is sent by one sender at a time

The escalation policy and the citizen-notice setting are rows of `legal_clock_settings` (JSON
values under their own keys), so they need no table. Delivery claims an outbound message with a
conditional UPDATE that sets `status = 'sending'` and `claimed_until`; a sender that dies leaves a
lease that runs out, and the sweep hands the row to another sender.

Revision ID: 0011
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "0011"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("escalation_policy",)
# outbound_messages comes with the intake branch.
depends_on: str | Sequence[str] | None = ("0004",)

_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("claimed_until", _AWARE, nullable=True))


def downgrade() -> None:
    # A row caught mid-send goes back to `pending`, which the schema before this revision knows.
    op.execute("UPDATE outbound_messages SET status = 'pending' WHERE status = 'sending'")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("claimed_until")
