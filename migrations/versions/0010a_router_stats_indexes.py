"""router_stats_indexes: today's offers and answers found by index, not by scanning history

The supervisors' statistics (pushed at most once a second by every engine) count today's offers
by `offers.created_at` and today's answers by `work_items.assigned_at`, and the wait estimate of
a queue counts its answers of the last half hour; without these indexes each of those reads every
offer and work item ever recorded.

Revision ID: 0010a
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010a"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("router_stats_indexes",)
depends_on: str | Sequence[str] | None = ("0010",)  # offers and work_items


def upgrade() -> None:
    op.create_index(op.f("ix_offers_created_at"), "offers", ["created_at"])
    op.create_index(op.f("ix_work_items_assigned_at"), "work_items", ["assigned_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_work_items_assigned_at"), table_name="work_items")
    op.drop_index(op.f("ix_offers_created_at"), table_name="offers")
