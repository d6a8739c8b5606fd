"""ticket events are append-only: the database refuses UPDATE and DELETE

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_FUNCTION = """
CREATE FUNCTION ticket_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER ticket_events_no_change BEFORE UPDATE OR DELETE ON ticket_events "
            "FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER ticket_events_no_{verb.lower()} BEFORE {verb} ON ticket_events "
            f"BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only ({verb} refused)'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ticket_events_no_truncate ON ticket_events")
        op.execute("DROP TRIGGER ticket_events_no_change ON ticket_events")
        op.execute("DROP FUNCTION ticket_events_append_only()")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER ticket_events_no_{verb}")
