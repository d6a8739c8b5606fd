"""Rate limits key on the client's address: behind a trusted proxy (TRUSTED_PROXIES) the one the
proxy put in X-Forwarded-For, so one attacker does not lock out every citizen; from any other peer
the header is ignored, so an attacker cannot dodge the limits by inventing addresses.

The test client connects from 127.0.0.1, standing for the proxy when 127.0.0.1 is trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from contact_center.core.config import Settings
from tests.conftest import AppFactory
from tests.integration.test_portal_pages import open_form

Client = TestClient[Any, Any]
ATTACKER, NEIGHBOUR = "203.0.113.5", "198.51.100.7"


def via(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def access_code_status(client: Client, n: int, forwarded_for: str) -> int:
    """One wrong access code, on its own radicado, so only the per-client count can block it."""
    resp = await client.get(
        f"/api/v1/pqrd/{2026000100 + n}", params={"access_code": "NOPE1234"}, headers=via(forwarded_for)
    )
    return resp.status


async def login_status(client: Client, n: int, forwarded_for: str) -> int:
    """One wrong password, on one of several accounts, so only the per-client count can block it."""
    body = {"email": f"persona{n % 4}@example.co", "password": "adivina"}
    resp = await client.post("/api/v1/app/login", json=body, headers=via(forwarded_for))
    return resp.status


async def portal_status(client: Client, token: str, n: int, forwarded_for: str) -> int:
    data = {"csrf_token": token, "radicado": str(2026000200 + n), "codigo": "AAAA2222"}
    resp = await client.post("/portal/pqrd/consulta", data=data, headers=via(forwarded_for))
    return resp.status


@pytest.mark.parametrize("trusted", ["", "10.0.0.0/8"])
async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
    make_client: AppFactory, make_settings: Callable[..., Settings], trusted: str
) -> None:
    client = await make_client(make_settings(trusted_proxies=trusted))
    # Every attempt claims another address; all of them are counted against the real peer.
    codes = [await access_code_status(client, n, f"192.0.2.{n}") for n in range(11)]
    assert codes == [404] * 10 + [429]
    logins = [await login_status(client, n, f"192.0.2.{n}") for n in range(21)]
    assert logins == [401] * 20 + [429]


async def test_behind_a_trusted_proxy_two_clients_are_limited_separately(
    make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await make_client(make_settings(trusted_proxies="10.9.8.7, 127.0.0.0/8"))
    assert [await access_code_status(client, n, ATTACKER) for n in range(11)] == [404] * 10 + [429]
    # The attacker cannot get out by prepending an address: only what our proxies appended counts.
    assert await access_code_status(client, 11, f"192.0.2.1, {ATTACKER}") == 429
    # Through a second trusted proxy (10.9.8.7 appended the attacker, nginx appended 10.9.8.7).
    assert await access_code_status(client, 12, f"{ATTACKER}, 10.9.8.7") == 429
    assert await access_code_status(client, 13, NEIGHBOUR) == 404  # the neighbour is not locked out
    assert [await login_status(client, n, ATTACKER) for n in range(21)] == [401] * 20 + [429]
    assert await login_status(client, 21, NEIGHBOUR) == 401


async def test_the_portal_status_page_limits_each_client_behind_a_trusted_proxy(
    make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await make_client(make_settings(trusted_proxies="127.0.0.1"))
    token = await open_form(client, "/portal/pqrd/consulta")
    assert [await portal_status(client, token, n, ATTACKER) for n in range(11)] == [404] * 10 + [429]
    assert await portal_status(client, token, 11, NEIGHBOUR) == 404
