"""Citizens' messages sent at the same moment are group-committed: each one is acknowledged only once
stored, stored once (even a retry sent in the same burst), delivered to the attending official once,
and a message to an ended conversation in the same burst is refused without harming the others."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Message
from contact_center.core.http.keys import UOW
from tests.integration.test_agents_console import attended_chat
from tests.support import chat_clients
from tests.support.chat_clients import citizen

console = chat_clients.console
BURST = 40


async def _stored(client: TestClient[Any, Any]) -> list[tuple[int, str | None, str]]:
    async with client.app[UOW]() as uow:
        rows = await uow.session.execute(
            select(Message.conversation_id, Message.client_id, Message.body)
            .where(Message.sender == "citizen")
            .order_by(Message.id)
        )
        return [(r.conversation_id, r.client_id, r.body) for r in rows]


async def test_a_burst_of_messages_is_stored_once_each_and_reaches_the_official(
    backend: str, console: TestClient[Any, Any]
) -> None:
    official, attended, started, _ = await attended_chat(console)
    url = str(console.make_url("/"))
    waiting, _ = await citizen(url)  # nobody attends this one: stored, but no official hears it
    ended, _ = await citizen(url)
    assert (await ended.call("end", {}))["state"] == "abandoned"

    sends = [attended.call("send", {"client_id": f"a{i}", "body": f"mensaje {i}"}) for i in range(BURST)]
    sends += [waiting.call("send", {"client_id": f"w{i}", "body": f"espera {i}"}) for i in range(BURST)]
    sends.append(attended.call("send", {"client_id": "a0", "body": "mensaje 0"}))  # a retry in the burst
    sends.append(ended.call("send", {"client_id": "late", "body": "¿sigue ahí?"}))
    acks = await asyncio.gather(*sends)

    *fresh, retry, refused = acks
    assert all(a["ok"] for a in fresh), fresh
    assert retry["ok"] and retry["message"]["client_id"] == "a0"
    assert sum(1 for a in [*fresh, retry] if a["duplicate"]) == 1  # exactly one of the two a0 is new
    assert refused["error"]["code"] == "conversation_closed"

    stored = await _stored(console)
    assert len(stored) == 2 * BURST  # every acknowledged message, once; nothing for the ended chat
    assert {c for _, c, _ in stored} == {f"a{i}" for i in range(BURST)} | {f"w{i}" for i in range(BURST)}
    ids = {a["message"]["id"] for a in acks[:-1]}
    assert len(ids) == 2 * BURST  # the retry was answered with the stored message's id

    heard = [await official.next("message", where=lambda m: m["sender"] == "citizen") for _ in range(BURST)]
    assert sorted(m["client_id"] for m in heard) == sorted(f"a{i}" for i in range(BURST))
    assert all(m["conversation_id"] == started["conversation_id"] for m in heard)
    await asyncio.sleep(0.2)
    assert official.drain("message") == []  # no duplicate, nothing of the unattended chat
