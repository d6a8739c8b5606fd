"""voice: verbal filings by call step, queued callbacks, Asterisk queue figures, recording references

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "0008"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("voice",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ivr_filings",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", _ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("radicado", sa.String(length=20), nullable=False),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_ivr_filings_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ivr_filings_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_filings")),
        sa.UniqueConstraint("conversation_id", "step", name=op.f("uq_ivr_filings_conversation_id_step")),
    )
    op.create_index(op.f("ix_ivr_filings_conversation_id"), "ivr_filings", ["conversation_id"], unique=False)
    op.create_table(
        "voice_callbacks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("conversation_id", _ID, nullable=False),
        sa.Column("queue_code", sa.String(length=60), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_ref", sa.String(length=100), nullable=True),
        sa.Column("requested_at", _AWARE, nullable=False),
        sa.Column("dialed_at", _AWARE, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_voice_callbacks_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_voice_callbacks_official_id_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_callbacks")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_voice_callbacks_conversation_id")),
    )
    op.create_table(
        "voice_queue_stats",
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("queue", "day", name=op.f("pk_voice_queue_stats")),
    )
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("source_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("source_url")
    op.drop_table("voice_queue_stats")
    op.drop_table("voice_callbacks")
    op.drop_index(op.f("ix_ivr_filings_conversation_id"), table_name="ivr_filings")
    op.drop_table("ivr_filings")
