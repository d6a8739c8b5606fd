"""Password guessing is throttled: per account and per client, for citizens and officials alike."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration.test_citizen_app import verified_citizen

Client = TestClient[Any, Any]
AGENT = "agente1@demo.pasto.gov.co"


async def attempt(client: Client, path: str, email: str, password: str) -> tuple[int, str]:
    resp = await client.post(path, json={"email": email, "password": password})
    body = await resp.json()
    return resp.status, body["error"]["code"] if "error" in body else "ok"


async def test_ten_wrong_passwords_lock_an_official_account_even_for_the_right_one(
    seeded: Client, backend: str
) -> None:
    path = "/api/v1/auth/login"
    answers = [await attempt(seeded, path, AGENT, f"guess-{n}") for n in range(10)]
    assert answers == [(401, "invalid_credentials")] * 10
    assert await attempt(seeded, path, AGENT, "demo-195") == (429, "rate_limited")
    assert await attempt(seeded, path, AGENT.upper(), "demo-195") == (429, "rate_limited")
    # Another official is not locked out by somebody guessing at the first one.
    assert await attempt(seeded, path, "supervisor@demo.pasto.gov.co", "demo-195") == (200, "ok")


async def test_ten_wrong_passwords_lock_a_citizen_account(seeded: Client) -> None:
    await verified_citizen(seeded, "ana@example.co")
    path = "/api/v1/app/login"
    answers = [await attempt(seeded, path, "ana@example.co", f"guess-{n}") for n in range(10)]
    assert answers == [(401, "invalid_credentials")] * 10
    assert await attempt(seeded, path, "ana@example.co", "clave-segura-1") == (429, "rate_limited")
    # The officials' counters are their own.
    assert await attempt(seeded, "/api/v1/auth/login", AGENT, "demo-195") == (200, "ok")


async def test_one_client_trying_many_accounts_is_stopped_after_twenty_failures(seeded: Client) -> None:
    path = "/api/v1/app/login"
    emails = [f"persona{n % 3}@example.co" for n in range(20)]  # under ten per account
    answers = [await attempt(seeded, path, email, "guess") for email in emails]
    assert answers == [(401, "invalid_credentials")] * 20
    assert await attempt(seeded, path, "otra@example.co", "guess") == (429, "rate_limited")
