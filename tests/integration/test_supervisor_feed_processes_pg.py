"""The supervisor feed hears other processes' changes: the router's NOTIFY (PostgreSQL) and, with
Redis, every event another process emits. A supervisor connected to one process sees a change made
in another within the coalescing interval, not at the slow safety refresh (5 s)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Official
from contact_center.core.http.keys import UOW
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services.tickets import SYSTEM, NewTicket, file_ticket
from tests.conftest import TEST_SECRET, login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen, close_all, seed_before_start
from tests.support.services import REDIS_URL

SUPERVISOR = "supervisor@demo.pasto.gov.co"
PROMPT = 2.0  # seconds: well under the 5 s refresh, well over the 0.4 s coalescing


@pytest.fixture
def backend() -> str:
    return "postgres"  # several processes share PostgreSQL (SQLite serves one process)


@pytest.fixture
async def two(make_client: Any, make_settings: Any) -> AsyncIterator[list[TestClient[Any, Any]]]:
    settings = make_settings(redis_url=REDIS_URL)
    await seed_before_start(settings)
    yield [await make_client(settings), await make_client(settings)]
    await close_all()


async def watching(client: TestClient[Any, Any]) -> Peer:
    peer = await Peer("/supervisors").connect(
        str(client.make_url("/")), {"token": await login(client, SUPERVISOR)}
    )
    await peer.next("dashboard")
    return peer


async def test_a_chat_queued_in_another_process_is_pushed_promptly(
    console: TestClient[Any, Any], make_client: Any
) -> None:
    other = await make_client()  # same database, no Redis: only the router's NOTIFY connects them
    sup = await watching(other)
    started = time.monotonic()
    await citizen(str(console.make_url("/")), topic="hacienda")
    await sup.next("dashboard", wait=5, where=lambda d: _waiting(d, "hacienda") == 1)
    assert time.monotonic() - started < PROMPT


async def test_a_pqrd_reassigned_in_another_process_is_pushed_promptly(
    two: list[TestClient[Any, Any]],
) -> None:
    first, second = two
    async with first.app[UOW]() as uow:
        new = NewTicket(PqrdType.QUEJA, "Demora", "Sin respuesta", "web")
        filed = await file_ticket(uow, new, SYSTEM, secret=TEST_SECRET.encode())
        await uow.commit()
        agent_id = await uow.session.scalar(
            select(Official.id).where(Official.email == "agente1@demo.pasto.gov.co")
        )
    acting, sup = await watching(first), await watching(second)
    await asyncio.sleep(0.5)  # the filing's own wake-ups are over
    started = time.monotonic()
    body = {"ticket_id": filed.id, "official_id": agent_id, "reason": "Carga equilibrada"}
    assert (await acting.call("reassign", body))["ok"]
    await sup.next("dashboard", wait=8, where=lambda d: _pqrd_load(d, agent_id) == 1)
    # A PQRD's assignment sends no routing NOTIFY: the other process's event, via Redis, woke the feed.
    assert time.monotonic() - started < PROMPT


def _pqrd_load(snapshot: dict[str, Any], official_id: int) -> int:
    return int(next(o["load"]["pqrd"] for o in snapshot["officials"] if o["id"] == official_id))


def _waiting(snapshot: dict[str, Any], code: str) -> int:
    return int(next(q["waiting"] for q in snapshot["queues"] if q["code"] == code))


console = chat_clients.console
