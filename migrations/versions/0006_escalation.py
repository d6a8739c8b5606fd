"""escalation: the due-escalation index covers only tickets that have a next escalation

The sweep asks for `next_escalation_at <= now`; closed, answered, suspended and forwarded tickets
hold NULL there, so a partial index keeps the sweep's cost with the due tickets, not all of them.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("escalation",)
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_tickets_next_escalation_at"
_SCHEDULED = sa.text("next_escalation_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="tickets")
    op.create_index(
        _INDEX, "tickets", ["next_escalation_at"], postgresql_where=_SCHEDULED, sqlite_where=_SCHEDULED
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="tickets")
    op.create_index(_INDEX, "tickets", ["next_escalation_at"])
