"""Group commit of the citizens' chat messages: what arrives together is stored in one transaction.

At hundreds of messages a second a transaction per message costs more than the message itself (a
session, a pooled connection, BEGIN and COMMIT round trips, and the garbage of each). The batcher
keeps one batch in flight; messages arriving meanwhile wait and go into the next batch, in one
multi-row statement on PostgreSQL and one commit. Nothing waits on a timer: a lone message is
stored at once. Each sender is answered only after the commit that stored their message, and the
events go out after that commit, as with `chat.post_message`.

The batch goes through a unit of work like every other write: `chat.queries.insert_messages` stores
it (on PostgreSQL one autocommitted statement, one round trip; on SQLite one transaction), the
messages' events are queued on the unit of work, and its commit publishes them.

A message the batch did not insert (a retried client id, a conversation that ended, one sent twice
in the same batch) and every message of a batch that failed are handled again one by one through
`chat.post_message`, which gives each its own answer or error; a retry with the same client id is
stored once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from contact_center.chat import queries
from contact_center.chat.domain import NewMessage
from contact_center.chat.services import conversations as chat
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
MAX_BATCH = 500  # messages per statement; a larger backlog goes in the following batches
Posted = tuple[dict[str, Any], bool]  # the message's payload, and whether it is new


@dataclass
class _Waiting:
    """A citizen's message waiting for its batch; `answer` resolves after the commit."""

    message: NewMessage
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
        # Bad input is refused here and never joins a batch.
        message = NewMessage(
            conversation_id, "citizen", chat.checked_body(body), client_id, self._uow.clock.now()
        )
        loop = asyncio.get_running_loop()
        waiting = _Waiting(message, sid, loop.create_future())
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
            async with self._uow() as uow:
                found = await queries.insert_messages(uow, [w.message for w in unique])
                answers = _announce(uow, unique, found)
                await uow.commit()
        except Exception:
            # Rolled back: nothing of this batch is stored; each message gets its own transaction.
            log.exception("chat_batch_failed", extra={"messages": len(unique)})
            again = batch
        else:
            for waiting, payload in answers:
                waiting.resolve((payload, True))
            again += [w for w, f in zip(unique, found, strict=True) if f.message_id is None]
        for waiting in again:
            await self._one(waiting)

    async def _one(self, waiting: _Waiting) -> None:
        message = waiting.message
        try:
            async with self._uow() as uow:
                result = await chat.post_message(
                    uow,
                    message.conversation_id,
                    "citizen",
                    message.body,
                    message.client_id,
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
        key = (waiting.message.conversation_id, waiting.message.client_id)
        (repeats if key in seen else unique).append(waiting)
        seen.add(key)
    return unique, repeats


def _announce(
    uow: UnitOfWork, batch: list[_Waiting], found: list[queries.Stored]
) -> list[tuple[_Waiting, dict[str, Any]]]:
    """Queue the inserted messages' events on the unit of work; their answers for after the commit."""
    answers = []
    for waiting, stored in zip(batch, found, strict=True):
        if stored.message_id is None:
            continue
        payload = waiting.message.payload(stored.message_id)
        answers.append((waiting, payload))
        chat.announce_message(uow, payload, stored.official_id, waiting.sid)
    return answers
