"""A POST retried with the same Idempotency-Key gets the first answer and creates nothing more."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.db.models import Ticket
from tests.integration.test_pqrd_api import FILING, count, filing


async def test_a_retry_returns_the_first_answer_and_files_once(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    headers = {"Idempotency-Key": "9b1f0c1e-retry"}
    first = await seeded.post("/api/v1/pqrd", json=FILING, headers=headers)
    again = await seeded.post("/api/v1/pqrd", json=FILING, headers=headers)
    assert first.status == again.status == 201
    assert await first.json() == await again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await count(seeded, Ticket) == 1


async def test_the_same_key_with_another_body_is_422(seeded: TestClient[Any, Any]) -> None:
    headers = {"Idempotency-Key": "reused-key"}
    assert (await seeded.post("/api/v1/pqrd", json=FILING, headers=headers)).status == 201
    resp = await seeded.post("/api/v1/pqrd", json=filing(subject="Otro asunto"), headers=headers)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "idempotency_key_reused"
    assert await count(seeded, Ticket) == 1


async def test_concurrent_duplicates_file_once(seeded: TestClient[Any, Any], backend: str) -> None:
    headers = {"Idempotency-Key": "concurrent-key"}
    responses = await asyncio.gather(
        *(seeded.post("/api/v1/pqrd", json=FILING, headers=headers) for _ in range(8))
    )
    bodies = [await r.json() for r in responses]
    assert {r.status for r in responses} == {201}, bodies
    assert len({b["radicado"] for b in bodies}) == 1
    assert await count(seeded, Ticket) == 1


async def test_a_refused_request_stores_nothing_so_a_corrected_retry_files(
    seeded: TestClient[Any, Any],
) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    refused = await seeded.post("/api/v1/pqrd", json=filing(data_consent=False), headers=headers)
    assert refused.status == 400
    assert (await seeded.post("/api/v1/pqrd", json=filing(data_consent=False), headers=headers)).status == 400
    assert await count(seeded, Ticket) == 0


async def test_an_invalid_key_is_400(seeded: TestClient[Any, Any]) -> None:
    resp = await seeded.post("/api/v1/pqrd", json=FILING, headers={"Idempotency-Key": "x" * 201})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_idempotency_key"
    assert await count(seeded, Ticket) == 0


async def test_other_posts_replay_through_the_middleware(seeded: TestClient[Any, Any]) -> None:
    # Log-ins are not stored (they mint a token, see test_secrets_at_rest); a log-out is.
    body = {"email": "agente1@demo.pasto.gov.co", "password": "demo-195"}
    token = (await (await seeded.post("/api/v1/auth/login", json=body)).json())["token"]
    headers = {"Idempotency-Key": "logout-once", "Authorization": f"Bearer {token}"}
    first = await seeded.post("/api/v1/auth/logout", headers=headers)
    again = await seeded.post("/api/v1/auth/logout", headers=headers)  # run again: 401, revoked
    assert first.status == again.status == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await seeded.post("/api/v1/auth/logout", json={"other": "body"}, headers=headers)
    assert other.status == 422
