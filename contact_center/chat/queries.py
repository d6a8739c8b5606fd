"""Storing chat messages: the rule "once per client id, only into a live conversation" as SQL, for one
message and for a batch, on PostgreSQL and SQLite (every dialect difference of the chat is here)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select, true
from sqlalchemy.dialects import postgresql, sqlite

from contact_center.chat.domain import LIVE_STATES, NewMessage
from contact_center.core.db.models import Conversation, Message
from contact_center.core.uow import UnitOfWork


@dataclass(frozen=True)
class Stored:
    state: str | None  # None: no such conversation
    official_id: int | None
    message_id: int | None  # None: not inserted (a duplicate client id, or the conversation is not live)


async def insert_message(uow: UnitOfWork, message: NewMessage) -> Stored:
    """INSERT ... ON CONFLICT (conversation_id, client_id) DO NOTHING RETURNING id, only into a live
    conversation; also reads the conversation's state and attending official for the emit."""
    connection = await uow.connection()
    row = message.row()
    if connection.dialect.name == "postgresql":
        # One round trip, through Core, with a statement built once (building costs more than running).
        found = (await connection.execute(_pg_insert(), row)).first()
        return Stored(None, None, None) if found is None else Stored(found.state, found.official_id, found.id)
    conversation = (
        await connection.execute(
            select(Conversation.state, Conversation.official_id).where(
                Conversation.id == message.conversation_id
            )
        )
    ).first()
    if conversation is None or conversation.state not in LIVE_STATES:
        return Stored(conversation.state if conversation else None, None, None)
    new_id = (
        await connection.execute(
            sqlite.insert(Message)
            .values(row)
            .on_conflict_do_nothing(index_elements=["conversation_id", "client_id"])
            .returning(Message.id)
        )
    ).scalar()
    return Stored(conversation.state, conversation.official_id, new_id)


async def insert_messages(uow: UnitOfWork, messages: Sequence[NewMessage]) -> list[Stored]:
    """`insert_message` for a batch of citizens' messages, in arrival order.

    PostgreSQL: one statement in autocommit on the driver's connection — the statement is its own
    transaction, so the batch costs one round trip (no BEGIN, no COMMIT) and no ORM session; the
    unit of work's commit then only publishes the events. SQLite: one statement per message in the
    unit of work's transaction."""
    if uow.dialect_name != "postgresql":
        return [await insert_message(uow, m) for m in messages]
    connection = await uow.autocommit_connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None, "a checked-out connection has its driver connection"
    rows = await driver.fetch(_PG_BATCH_INSERT, *_columns(messages), sorted(LIVE_STATES))
    by_n = {row["n"]: row for row in rows}
    return [_stored(by_n[n]) for n in range(1, len(messages) + 1)]


@functools.cache
def _pg_insert() -> Select[tuple[str, int | None, int | None]]:
    """The insert as a data-modifying CTE joined to the conversation's row (PostgreSQL)."""
    columns = Message.__table__.c
    names = ("conversation_id", "sender", "official_id", "body", "internal", "client_id", "created_at")
    conversation: BindParameter[int] = bindparam("conversation_id")
    values = select(*(bindparam(name, type_=columns[name].type) for name in names)).where(
        Conversation.id == conversation, Conversation.state.in_(LIVE_STATES)
    )
    inserted = (
        postgresql.insert(Message)
        .from_select(list(names), values)
        .on_conflict_do_nothing(index_elements=["conversation_id", "client_id"])
        .returning(Message.id)
        .cte("inserted")
    )
    return (
        select(Conversation.state, Conversation.official_id, inserted.c.id)
        .select_from(Conversation)
        .outerjoin(inserted, true())
        .where(Conversation.id == conversation)
    )


def _columns(messages: Sequence[NewMessage]) -> tuple[list[Any], ...]:
    return (
        [m.conversation_id for m in messages],
        [m.client_id for m in messages],
        [m.body for m in messages],
        [m.created_at for m in messages],
    )


def _stored(row: Any) -> Stored:
    return Stored(row["state"], row["official_id"], row["id"])


# One statement for the whole batch: the messages as arrays, inserted in arrival order into live
# conversations (ON CONFLICT on the client id: a retry is stored once), and per message its
# conversation's state, attending official and new id (NULL: not inserted). Citizens' messages only.
_PG_BATCH_INSERT = """
WITH batch AS (
    SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::text[], $4::timestamptz[])
        WITH ORDINALITY AS b(conversation_id, client_id, body, created_at, n)
),
conversation AS (
    SELECT id, state, official_id FROM conversations
    WHERE id IN (SELECT conversation_id FROM batch)
),
inserted AS (
    INSERT INTO messages (conversation_id, sender, official_id, body, internal, client_id, created_at)
    SELECT b.conversation_id, 'citizen', NULL, b.body, false, b.client_id, b.created_at
    FROM batch b JOIN conversation c ON c.id = b.conversation_id
    WHERE c.state = ANY($5::varchar[])
    ORDER BY b.n
    ON CONFLICT (conversation_id, client_id) DO NOTHING
    RETURNING id, conversation_id, client_id
)
SELECT b.n, c.state, c.official_id, i.id
FROM batch b
LEFT JOIN conversation c ON c.id = b.conversation_id
LEFT JOIN inserted i ON i.conversation_id = b.conversation_id AND i.client_id = b.client_id
"""
