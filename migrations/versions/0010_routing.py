"""routing: work items, offers and the router's settings

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import contact_center.core.db.base

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = ("routing",)
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AWARE = contact_center.core.db.base.AwareDateTime(timezone=True)
_LIVE = sa.text("status IN ('waiting', 'offered', 'assigned')")
_OUTSTANDING = sa.text("status = 'offered'")


def upgrade() -> None:
    _work_items()
    _offers()
    settings = op.create_table(
        "routing_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offer_timeout_seconds", sa.Float(), nullable=False),
        sa.Column("missed_offers_before_away", sa.Integer(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Float(), nullable=False),
        sa.Column("updated_at", _AWARE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_settings")),
    )
    op.bulk_insert(
        settings,
        [
            {
                "id": 1,
                "offer_timeout_seconds": 20.0,
                "missed_offers_before_away": 1,
                "wrap_up_seconds": 30.0,
                "updated_at": datetime.now(UTC),
            }
        ],
    )


def _work_items() -> None:
    op.create_table(
        "work_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", _ID, nullable=True),
        sa.Column("ticket_id", _ID, nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("effective_priority", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("enqueued_at", _AWARE, nullable=False),
        sa.Column("offered_at", _AWARE, nullable=True),
        sa.Column("assigned_at", _AWARE, nullable=True),
        sa.Column("ended_at", _AWARE, nullable=True),
        sa.Column("callback_number", sa.String(length=32), nullable=True),
        sa.Column("callback_due_at", _AWARE, nullable=True),
        sa.Column("wrap_up_code", sa.String(length=60), nullable=True),
        sa.Column("updated_at", _AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_work_items_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_work_items_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], name=op.f("fk_work_items_queue_id_queues")),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_work_items_official_id_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    for name, column in (
        ("uq_work_items_live_conversation", "conversation_id"),
        ("uq_work_items_live_ticket", "ticket_id"),
    ):
        op.create_index(name, "work_items", [column], unique=True, postgresql_where=_LIVE, sqlite_where=_LIVE)
    op.create_index("ix_work_items_status_queue_id", "work_items", ["status", "queue_id"])
    op.create_index("ix_work_items_official_id_status", "work_items", ["official_id", "status"])


def _offers() -> None:
    op.create_table(
        "offers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("work_item_id", _ID, nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", _AWARE, nullable=False),
        sa.Column("expires_at", _AWARE, nullable=False),
        sa.Column("decided_at", _AWARE, nullable=True),
        sa.ForeignKeyConstraint(
            ["work_item_id"], ["work_items.id"], name=op.f("fk_offers_work_item_id_work_items")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_offers_official_id_officials")
        ),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], name=op.f("fk_offers_queue_id_queues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_index(
        "uq_offers_outstanding_work_item",
        "offers",
        ["work_item_id"],
        unique=True,
        postgresql_where=_OUTSTANDING,
        sqlite_where=_OUTSTANDING,
    )
    op.create_index("ix_offers_status_expires_at", "offers", ["status", "expires_at"])
    op.create_index("ix_offers_official_id_decided_at", "offers", ["official_id", "decided_at"])
    op.create_index(op.f("ix_offers_work_item_id"), "offers", ["work_item_id"])


def downgrade() -> None:
    op.drop_table("routing_settings")
    for name in (
        "ix_offers_work_item_id",
        "ix_offers_official_id_decided_at",
        "ix_offers_status_expires_at",
        "uq_offers_outstanding_work_item",
    ):
        op.drop_index(name, table_name="offers")
    op.drop_table("offers")
    for name in (
        "ix_work_items_official_id_status",
        "ix_work_items_status_queue_id",
        "uq_work_items_live_ticket",
        "uq_work_items_live_conversation",
    ):
        op.drop_index(name, table_name="work_items")
    op.drop_table("work_items")
