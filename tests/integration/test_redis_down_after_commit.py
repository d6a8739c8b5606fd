"""Redis down never turns a committed filing into a 5xx: the acknowledgement's job is best-effort,
its `outbound_messages` row stays `pending` and the sweep re-drives it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.config import Settings
from contact_center.core.db.models import Ticket
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.outbound.services.delivery import redrivable
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration.test_jobs_rq import PrivateRedis
from tests.integration.test_pqrd_api import FILING
from tests.support.server import free_port

Client = TestClient[Any, Any]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(free_port(), tmp_path / "redis.log")
    redis.start()
    yield redis
    redis.stop()


async def _client(make_client: AppFactory, settings: Settings) -> Client:
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _file_and_check(client: Client, key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    resp = await client.post("/api/v1/pqrd", json=FILING, headers=headers)
    assert resp.status == 201, await resp.text()
    filed: dict[str, Any] = await resp.json()
    assert filed["radicado"] and filed["access_code"]
    return filed


async def _state(client: Client) -> tuple[int, list[str], int]:
    async with client.app[UOW]() as uow:
        tickets = int(await uow.session.scalar(select(func.count()).select_from(Ticket)) or 0)
        statuses = list((await uow.session.scalars(select(OutboundMessage.status))).all())
        pending = len(await redrivable(uow, ["email"]))
    return tickets, statuses, pending


async def test_filing_with_redis_url_on_a_closed_port_answers_201(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    settings = make_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", jobs="rq")
    client = await _client(make_client, settings)
    await _file_and_check(client)
    await _file_and_check(client, key="k-1")
    again = await client.post("/api/v1/pqrd", json=FILING, headers={"Idempotency-Key": "k-1"})
    assert again.status == 201 and again.headers.get("Idempotent-Replayed") == "true"
    # Two filings, each acknowledgement recorded for the sweep to send once Redis is back.
    assert await _state(client) == (2, ["pending", "pending"], 2)


async def test_redis_stopped_mid_test_loses_no_filing(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    private_redis: PrivateRedis,
    backend: str,
) -> None:
    client = await _client(make_client, make_settings(redis_url=private_redis.url, jobs="rq"))
    await _file_and_check(client)
    private_redis.stop()
    await _file_and_check(client)
    tickets, statuses, pending = await _state(client)
    assert tickets == 2 and statuses == ["pending", "pending"] and pending == 2


async def test_with_redis_down_a_login_is_503_not_500(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    settings = make_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0", jobs="rq")
    client = await _client(make_client, settings)
    body = {"email": "agente1@demo.pasto.gov.co", "password": "demo-195"}
    resp = await client.post("/api/v1/auth/login", json=body)
    assert resp.status == 503 and (await resp.json())["error"]["code"] == "limits_unavailable"
