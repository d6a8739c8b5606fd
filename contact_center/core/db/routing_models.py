"""Tables of the skills-based router: work items, every offer made, and the router's settings.

The database, not any process's memory, decides who gets what: an item is offered by a conditional
`UPDATE work_items ... WHERE status = 'waiting'`, and two partial unique indexes make the rules
impossible to break even by a buggy writer: one live work item per conversation and per ticket, and
one outstanding offer per work item.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from contact_center.core.db.base import Base
from contact_center.core.db.models import BigId

LIVE_ITEM = "status IN ('waiting', 'offered', 'assigned')"


class WorkItem(Base):
    """A call, chat, app thread or PQRD ticket in a queue.

    status: waiting | offered | assigned | wrap_up | completed | abandoned | canceled. `enqueued_at`
    is the original arrival: a rejected or timed-out offer puts the item back at that place.
    """

    __tablename__ = "work_items"
    __table_args__ = (
        Index(
            "uq_work_items_live_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text(LIVE_ITEM),
            sqlite_where=text(LIVE_ITEM),
        ),
        Index(
            "uq_work_items_live_ticket",
            "ticket_id",
            unique=True,
            postgresql_where=text(LIVE_ITEM),
            sqlite_where=text(LIVE_ITEM),
        ),
        Index("ix_work_items_status_queue_id", "status", "queue_id"),
        Index("ix_work_items_official_id_status", "official_id", "status"),
        Index("ix_work_items_assigned_at", "assigned_at"),  # today's answers (migration 0010a)
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    priority: Mapped[int] = mapped_column(Integer, default=0)  # the extra the channel set
    effective_priority: Mapped[int] = mapped_column(Integer, default=0)  # what the line is sorted by
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    enqueued_at: Mapped[datetime]
    offered_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    callback_number: Mapped[str | None] = mapped_column(String(32))
    callback_due_at: Mapped[datetime | None]  # when the queue's callback step fired
    wrap_up_code: Mapped[str | None] = mapped_column(String(60))
    # None: the router offers the item; "asterisk": app_queue distributes the call and the router
    # only mirrors who took it (migration 0008a, branch voice_calls).
    distributor: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime]


class RoutingOffer(Base):
    """One offer of a work item to an official: offered | accepted | rejected | timed_out | revoked.

    Every outcome stays recorded; `expires_at` lets any process time out an offer whose maker died.
    """

    __tablename__ = "offers"
    __table_args__ = (
        Index(
            "uq_offers_outstanding_work_item",
            "work_item_id",
            unique=True,
            postgresql_where=text("status = 'offered'"),
            sqlite_where=text("status = 'offered'"),
        ),
        Index("ix_offers_status_expires_at", "status", "expires_at"),
        Index("ix_offers_official_id_decided_at", "official_id", "decided_at"),
        Index("ix_offers_created_at", "created_at"),  # today's offers (migration 0010a)
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class RoutingSettings(Base):
    """The router's tunables (one row, id 1), set by administrators."""

    __tablename__ = "routing_settings"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    offer_timeout_seconds: Mapped[float] = mapped_column(Float, default=20.0)
    missed_offers_before_away: Mapped[int] = mapped_column(Integer, default=1)
    wrap_up_seconds: Mapped[float] = mapped_column(Float, default=30.0)
    updated_at: Mapped[datetime]
