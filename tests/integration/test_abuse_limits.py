"""The guessing limits hold under concurrency and slow an attacker without locking out the owner;
filing and registration are throttled per client address (finding 7, 9 and 10 of issue 14)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration.test_pqrd_api import FILING
from tests.support.services import REDIS_URL

Client = TestClient[Any, Any]
SUPERVISOR = "supervisor@demo.pasto.gov.co"
OWNER, ATTACKERS = "198.51.100.7", [f"203.0.113.{n}" for n in range(1, 41)]


def via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _seeded(make_client: AppFactory, settings: Settings) -> Client:
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _login(client: Client, password: str, address: str = "127.0.0.1") -> Any:
    body = {"email": SUPERVISOR, "password": password}
    return await client.post("/api/v1/auth/login", json=body, headers=via(address))


async def _flood(client: Client, n: int, address: str = "127.0.0.1") -> Counter[int]:
    answers = await asyncio.gather(*(_login(client, f"guess-{i}", address) for i in range(n)))
    return Counter(resp.status for resp in answers)


async def test_forty_concurrent_wrong_passwords_get_ten_401_then_429(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    client = await _seeded(make_client, make_settings())
    assert await _flood(client, 40) == {401: 10, 429: 30}


async def test_the_limit_holds_in_parallel_on_redis_across_two_apps(
    make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(redis_url=REDIS_URL, jobs="inline")
    first = await _seeded(make_client, settings)
    second = await make_client(settings)
    both = await asyncio.gather(_flood(first, 20), _flood(second, 20))
    assert both[0] + both[1] == {401: 10, 429: 30}


async def test_attackers_on_many_addresses_do_not_lock_the_owner_out(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    client = await _seeded(make_client, make_settings(trusted_proxies="127.0.0.1"))
    assert (await _login(client, "demo-195", OWNER)).status == 200  # the owner's usual address
    statuses = [(await _login(client, "adivina", attacker)).status for attacker in ATTACKERS]
    # Ten free guesses, then one guess per 1, 2, 4... seconds for all of them together.
    assert statuses[:10] == [401] * 10 and statuses.count(401) <= 12
    limited = await _login(client, "adivina", "192.0.2.99")
    assert limited.status == 429 and 0 < int(limited.headers["Retry-After"]) <= 900
    # The owner, from their own address, logs in at once, the right password included.
    assert (await _login(client, "demo-195", OWNER)).status == 200


async def test_wrong_access_codes_from_many_addresses_do_not_lock_the_citizen_out(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    client = await _seeded(make_client, make_settings(trusted_proxies="127.0.0.1"))
    filed = await (await client.post("/api/v1/pqrd", json=FILING, headers=via(OWNER))).json()
    url, code = f"/api/v1/pqrd/{filed['radicado']}", filed["access_code"]
    assert (await client.get(url, params={"access_code": code}, headers=via(OWNER))).status == 200
    for attacker in ATTACKERS[:10]:
        resp = await client.get(url, params={"access_code": "ZZZZZZZZ"}, headers=via(attacker))
        assert resp.status == 404
    assert (await client.get(url, params={"access_code": "ZZZZZZZZ"}, headers=via(ATTACKERS[10]))).status in {
        404,
        429,
    }
    assert (await client.get(url, params={"access_code": code}, headers=via(OWNER))).status == 200


async def _file(client: Client, address: str, key: str | None = None) -> Any:
    headers = via(address) | ({"Idempotency-Key": key} if key else {})
    anonymous = {**FILING, "citizen": None, "anonymous": True, "notify_by_email": False}
    return await client.post("/api/v1/pqrd", json=anonymous, headers=headers)


async def test_filing_is_throttled_per_client_address_with_retry_after(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    settings = make_settings(trusted_proxies="127.0.0.1", filing_limit=3, filing_window_seconds=600)
    client = await _seeded(make_client, settings)
    assert (await _file(client, ATTACKERS[0], key="k-1")).status == 201
    # A replay files nothing and takes nothing from the quota.
    replay = await _file(client, ATTACKERS[0], key="k-1")
    assert replay.status == 201 and replay.headers["Idempotent-Replayed"] == "true"
    statuses = [(await _file(client, ATTACKERS[0])).status for _ in range(3)]
    assert statuses == [201, 201, 429]
    limited = await _file(client, ATTACKERS[0])
    assert (await limited.json())["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 600
    assert (await _file(client, OWNER)).status == 201  # another address has its own quota


async def test_a_concurrent_filing_flood_files_no_more_than_the_quota(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    client = await _seeded(make_client, make_settings(filing_limit=5))
    answers = await asyncio.gather(*(_file(client, "127.0.0.1") for _ in range(30)))
    assert Counter(resp.status for resp in answers) == {201: 5, 429: 25}


async def test_registration_is_throttled_per_client_address(
    make_client: AppFactory, make_settings: Callable[..., Settings], backend: str
) -> None:
    client = await make_client(make_settings(registration_limit=2))

    async def register(n: int) -> int:
        body = {
            "email": f"p{n}@example.co",
            "password": "clave-segura-1",
            "name": "Ana",
            "data_consent": True,
        }
        return (await client.post("/api/v1/app/register", json=body)).status

    assert [await register(n) for n in range(3)] == [201, 201, 429]
