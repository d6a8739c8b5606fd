"""Group commit of the citizens' chat messages: what arrives together is stored in one transaction.

At hundreds of messages a second a transaction per message costs more than the message itself (a
session, a pooled connection, BEGIN and COMMIT round trips, and the garbage of each). The batcher
keeps one batch in flight; messages arriving meanwhile wait and go into the next batch, in one
multi-row statement on PostgreSQL and one commit. Nothing waits on a timer: a lone message is
stored at once. Each sender is answered only after the commit that stored their message, and the
events go out after that commit, as with `chat.post_message`.

On PostgreSQL the batch is one statement run in autocommit on the driver's connection: the
statement is its own transaction, so storing a batch is one round trip (no BEGIN, no COMMIT) and
no ORM session. SQLite writes the batch in one ordinary transaction.

A message the batch did not insert (a retried client id, a conversation that ended, one sent twice
in the same batch) and every message of a batch that failed are handled again one by one through
`chat.post_message`, which gives each its own answer or error; a retry with the same client id is
stored once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contact_center.chat.services import conversations as chat
from contact_center.core.events import Event
from contact_center.core.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
MAX_BATCH = 500  # messages per statement; a larger backlog goes in the following batches
Posted = tuple[dict[str, Any], bool]  # the message's payload, and whether it is new


@dataclass
class _Waiting:
    """A citizen's message waiting for its batch; `answer` resolves after the commit."""

    conversation_id: int
    body: str
    client_id: str
    created_at: datetime
    sid: str | None  # the sender's connection: it gets the message in its ack, not as an event
    answer: asyncio.Future[Posted] = field(repr=False)

    def resolve(self, result: Posted) -> None:
        if not self.answer.done():  # the sender may have gone (its handler cancelled)
            self.answer.set_result(result)

    def fail(self, exc: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


class MessageBatcher:
    """`await batcher.post(conversation_id, body, client_id)`: a citizen's message, group-committed."""

    def __init__(self, uow: UnitOfWorkFactory, max_batch: int = MAX_BATCH) -> None:
        self._uow = uow
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._worker: asyncio.Task[None] | None = None

    async def post(self, conversation_id: int, body: str, client_id: str, sid: str | None = None) -> Posted:
        """Store the message (once per client id); returns after its commit, like `post_message`."""
        text_ = chat.checked_body(body)  # bad input is refused here and never joins a batch
        loop = asyncio.get_running_loop()
        now = self._uow.clock.now()
        waiting = _Waiting(conversation_id, text_, client_id, now, sid, loop.create_future())
        self._waiting.append(waiting)
        if self._worker is None:
            self._worker = loop.create_task(self._drain(), name="chat-group-commit")
        return await waiting.answer

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._store(batch)
        finally:
            self._worker = None

    async def _store(self, batch: list[_Waiting]) -> None:
        unique, again = _split_repeats(batch)
        try:
            found = await self._insert(unique)
        except Exception:
            # Rolled back: nothing of this batch is stored; each message gets its own transaction.
            log.exception("chat_batch_failed", extra={"messages": len(unique)})
            again = batch
        else:
            answers, events = _announced(unique, found)
            if events:
                await self._publish(events)
            for waiting, payload in answers:
                waiting.resolve((payload, True))
            again += [w for w, f in zip(unique, found, strict=True) if f.message_id is None]
        for waiting in again:
            await self._one(waiting)

    async def _insert(self, batch: list[_Waiting]) -> list[chat.Stored]:
        """Store the batch and commit: per message its conversation's state and attending official
        and its new id (None when not inserted)."""
        engine = self._uow.engine
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None, "a checked-out connection has its driver connection"
                rows = await driver.fetch(_PG_BATCH_INSERT, *_columns(batch), sorted(chat.LIVE_STATES))
            by_n = {row["n"]: row for row in rows}
            return [_stored(by_n[n]) for n in range(1, len(batch) + 1)]
        async with self._uow() as uow:  # SQLite: one transaction, a statement per message
            found = [await chat.insert_message(uow, _row(w)) for w in batch]
            await uow.commit()
        return found

    async def _publish(self, events: list[Event]) -> None:
        try:
            await self._uow.notifier.publish(events)
        except Exception:  # stored and committed: the senders are answered all the same
            log.exception("chat_batch_notify_failed", extra={"events": len(events)})

    async def _one(self, waiting: _Waiting) -> None:
        try:
            async with self._uow() as uow:
                result = await chat.post_message(
                    uow,
                    waiting.conversation_id,
                    "citizen",
                    waiting.body,
                    waiting.client_id,
                    skip_sid=waiting.sid,
                )
        except Exception as exc:  # the sender's handler turns it into the error answer
            waiting.fail(exc)
        else:
            waiting.resolve(result)


def _split_repeats(batch: list[_Waiting]) -> tuple[list[_Waiting], list[_Waiting]]:
    """The first message of each (conversation, client id), and the repeats: a repeat is handled
    after the batch's commit, when it finds the first one stored."""
    seen: set[tuple[int, str]] = set()
    unique: list[_Waiting] = []
    repeats: list[_Waiting] = []
    for waiting in batch:
        key = (waiting.conversation_id, waiting.client_id)
        (repeats if key in seen else unique).append(waiting)
        seen.add(key)
    return unique, repeats


def _announced(
    batch: list[_Waiting], found: list[chat.Stored]
) -> tuple[list[tuple[_Waiting, Any]], list[Event]]:
    """The answers of the inserted messages, and their events to publish (after the commit)."""
    answers, events = [], []
    for waiting, stored in zip(batch, found, strict=True):
        if stored.message_id is None:
            continue
        payload = _payload(waiting, stored)
        answers.append((waiting, payload))
        events += chat.message_events(payload, stored.official_id, waiting.sid)
    return answers, events


def _payload(waiting: _Waiting, stored: chat.Stored) -> dict[str, Any]:
    return {
        "id": stored.message_id,
        "conversation_id": waiting.conversation_id,
        "client_id": waiting.client_id,
        "sender": "citizen",
        "author": None,
        "body": waiting.body,
        "internal": False,
        "created_at": waiting.created_at.isoformat(),
    }


def _columns(batch: list[_Waiting]) -> tuple[list[Any], ...]:
    return (
        [w.conversation_id for w in batch],
        [w.client_id for w in batch],
        [w.body for w in batch],
        [w.created_at for w in batch],
    )


def _stored(row: Any) -> chat.Stored:
    return chat.Stored(row["state"], row["official_id"], row["id"])


def _row(waiting: _Waiting) -> dict[str, Any]:
    return {
        "conversation_id": waiting.conversation_id,
        "sender": "citizen",
        "official_id": None,
        "body": waiting.body,
        "internal": False,
        "client_id": waiting.client_id,
        "created_at": waiting.created_at,
    }


# One statement for the whole batch: the messages as arrays, inserted in arrival order into live
# conversations (ON CONFLICT on the client id: a retry is stored once), and per message its
# conversation's attending official and its new id (NULL: not inserted).
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
