"""No secret at rest or in logs: database errors without their parameters, idempotency records
without access codes or tokens, and records that expire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, text

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.db.models import IdempotencyRecord
from contact_center.core.http.keys import ENGINE, UOW
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration.test_pqrd_api import FILING

Client = TestClient[Any, Any]


async def test_a_database_error_does_not_carry_its_parameters(client: Client, backend: str) -> None:
    engine = client.app[ENGINE]
    with pytest.raises(Exception) as info:
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": "$argon2id$secret"})
    assert "no_such_table" in str(info.value)
    assert "$argon2id$secret" not in str(info.value)


async def test_a_unique_violation_does_not_carry_the_duplicate_value(client: Client, backend: str) -> None:
    engine = client.app[ENGINE]
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TEMPORARY TABLE people (document TEXT UNIQUE)"))
        await conn.execute(text("INSERT INTO people VALUES (:d)"), {"d": "CC:1085123456"})
        with pytest.raises(Exception) as info:
            await conn.execute(text("INSERT INTO people VALUES (:d)"), {"d": "CC:1085123456"})
    assert "people" in str(info.value) and "1085123456" not in str(info.value)


async def _records(client: Client) -> list[tuple[str, bytes]]:
    async with client.app[UOW]() as uow:
        rows = await uow.session.execute(select(IdempotencyRecord.key, IdempotencyRecord.body))
        return [(k, bytes(b)) for k, b in rows.all()]


async def test_a_keyed_filing_keeps_its_access_code_sealed_and_replays_it(
    seeded: Client, backend: str
) -> None:
    key = "retry-me-7f3a"
    first = await seeded.post("/api/v1/pqrd", json=FILING, headers={"Idempotency-Key": key})
    assert first.status == 201
    filed = await first.json()
    [(stored_key, body)] = await _records(seeded)
    assert key not in stored_key and filed["access_code"].encode() not in body
    assert filed["radicado"].encode() in body  # what is not secret stays readable
    again = await seeded.post("/api/v1/pqrd", json=FILING, headers={"Idempotency-Key": key})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == filed  # the citizen gets the access code back


async def test_a_keyed_login_is_not_stored_and_never_replays_a_token(seeded: Client, backend: str) -> None:
    body = {"email": "agente1@demo.pasto.gov.co", "password": "demo-195"}
    headers = {"Idempotency-Key": "login-1"}
    first = await seeded.post("/api/v1/auth/login", json=body, headers=headers)
    second = await seeded.post("/api/v1/auth/login", json=body, headers=headers)
    assert first.status == second.status == 200
    assert "Idempotent-Replayed" not in second.headers
    assert (await first.json())["token"] != (await second.json())["token"]
    assert await _records(seeded) == []


async def test_idempotency_records_expire_and_are_swept(
    make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock, backend: str
) -> None:
    settings = make_settings(idempotency_ttl_hours=2, escalation_sweep_seconds=0.05)
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    assert (await client.post("/api/v1/pqrd", json=FILING, headers={"Idempotency-Key": "k"})).status == 201
    await asyncio.sleep(0.3)
    assert len(await _records(client)) == 1  # younger than the TTL: kept through sweeps
    clock.advance(hours=3)
    for _ in range(200):  # the sweep runs every 0.05 s
        if not await _records(client):
            break
        await asyncio.sleep(0.05)
    assert await _records(client) == []
