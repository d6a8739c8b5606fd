"""citizen_merges: officials join two records of one person, and each merge is recorded

A merge points the duplicate at the surviving record (`citizens.merged_into_id`, there since 0001);
this table keeps who did it, when, through what (API or CLI), and why. It is append-only like
`ticket_events` (0002): the database refuses UPDATE and DELETE.

Revision ID: 0014
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "0014"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("citizen_merges",)
depends_on: str | Sequence[str] | None = None

_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PG_FUNCTION = """
CREATE FUNCTION citizen_merges_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'citizen_merges is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "citizen_merges",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("citizen_id", _BIG_ID, nullable=False),
        sa.Column("into_id", _BIG_ID, nullable=False),
        sa.Column("requested_into_id", sa.BigInteger(), nullable=False),
        sa.Column("at", _AWARE, nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_citizen_merges_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["into_id"], ["citizens.id"], name=op.f("fk_citizen_merges_into_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["officials.id"], name=op.f("fk_citizen_merges_actor_id_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_merges")),
    )
    op.create_index(op.f("ix_citizen_merges_citizen_id"), "citizen_merges", ["citizen_id"], unique=False)
    op.create_index(op.f("ix_citizen_merges_into_id"), "citizen_merges", ["into_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER citizen_merges_no_change BEFORE UPDATE OR DELETE ON citizen_merges "
            "FOR EACH ROW EXECUTE FUNCTION citizen_merges_append_only()"
        )
        op.execute(
            "CREATE TRIGGER citizen_merges_no_truncate BEFORE TRUNCATE ON citizen_merges "
            "FOR EACH STATEMENT EXECUTE FUNCTION citizen_merges_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER citizen_merges_no_{verb.lower()} BEFORE {verb} ON citizen_merges "
            f"BEGIN SELECT RAISE(ABORT, 'citizen_merges is append-only ({verb} refused)'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER citizen_merges_no_truncate ON citizen_merges")
        op.execute("DROP TRIGGER citizen_merges_no_change ON citizen_merges")
        op.execute("DROP FUNCTION citizen_merges_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER citizen_merges_no_{verb}")
    op.drop_index(op.f("ix_citizen_merges_into_id"), table_name="citizen_merges")
    op.drop_index(op.f("ix_citizen_merges_citizen_id"), table_name="citizen_merges")
    op.drop_table("citizen_merges")
