"""Bad input is a 400 (or 415) with the error body on every engine, never a 5xx: NUL characters and
lone surrogates in text, JSON nested too deep, integers too large, a body that is not JSON."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import login
from tests.support import chat_clients
from tests.support.chat_clients import Peer, citizen

console = chat_clients.console
Client = TestClient[Any, Any]
PQRD = {"type": "peticion", "subject": "Hueco", "description": "Hay un hueco", "anonymous": True}
DEEP = "[" * 1000 + "]" * 1000
HUGE = "1" + "0" * 5000


async def _error(resp: Any) -> tuple[int, str]:
    body = await resp.json()
    return resp.status, body["error"]["code"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/pqrd", {**PQRD, "description": "Hay un\x00 hueco"}),
        ("/api/v1/pqrd", {**PQRD, "subject": "Hueco \ud800"}),
        ("/api/v1/auth/login", {"email": "a\x00@b.co", "password": "x"}),
        ("/api/v1/app/login", {"email": "a@b.co", "password": "x\x00"}),
        (
            "/api/v1/app/register",
            {"email": "n@b.co", "password": "clave-segura-1", "name": "Ana\x00", "data_consent": True},
        ),
    ],
)
async def test_nul_and_lone_surrogates_in_text_are_400(
    client: Client, backend: str, path: str, body: dict[str, Any]
) -> None:
    resp = await client.post(path, json=body)
    assert await _error(resp) == (400, "invalid_text")


async def test_nul_in_a_query_parameter_is_400(seeded: Client, backend: str) -> None:
    token = await login(seeded, "supervisor@demo.pasto.gov.co")
    resp = await seeded.get(
        "/api/v1/tickets", params={"dependencia": "SALUD\x00"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert await _error(resp) == (400, "invalid_text")


@pytest.mark.parametrize("path", ["/api/v1/pqrd", "/api/v1/auth/login", "/api/v1/app/register"])
async def test_json_nested_a_thousand_deep_is_400(client: Client, backend: str, path: str) -> None:
    resp = await client.post(path, data=DEEP, headers={"Content-Type": "application/json"})
    assert await _error(resp) == (400, "too_deep")


@pytest.mark.parametrize(
    "raw",
    [
        '{"email": ' + HUGE + ', "password": "x"}',
        '{"email": "a@b.co", "password": "x", "n": 1e400}',
        '{"email": "a@b.co", "password": NaN}',
    ],
)
async def test_huge_numbers_are_400(client: Client, backend: str, raw: str) -> None:
    resp = await client.post("/api/v1/auth/login", data=raw, headers={"Content-Type": "application/json"})
    status, code = await _error(resp)
    assert status == 400 and code in {"invalid_json", "number_out_of_range"}


async def test_a_huge_integer_in_a_query_is_400(seeded: Client, backend: str) -> None:
    token = await login(seeded, "supervisor@demo.pasto.gov.co")
    resp = await seeded.get(
        "/api/v1/tickets", params={"offset": "9" * 30}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (await _error(resp))[0] == 400


async def test_a_text_plain_body_is_415(client: Client, backend: str) -> None:
    body = '{"email": "a@b.co", "password": "x"}'
    resp = await client.post("/api/v1/auth/login", data=body, headers={"Content-Type": "text/plain"})
    assert await _error(resp) == (415, "unsupported_media_type")


async def test_socket_events_refuse_nul_and_deep_payloads(backend: str, console: Client) -> None:
    url = str(console.make_url("/"))
    fresh = await Peer("/chat").connect(url)
    ack = await fresh.call("start", {"consent": True, "name": "Ana\x00", "topic": "hacienda"})
    assert ack["error"]["code"] == "invalid_text"
    peer, _ = await citizen(url)
    ack = await peer.call("send", {"client_id": "m-1", "body": "hola\x00"})
    assert ack["error"]["code"] == "invalid_text"
    nested: Any = "x"
    for _ in range(100):
        nested = [nested]
    ack = await peer.call("send", {"client_id": "m-2", "body": nested})
    assert ack["error"]["code"] == "too_deep"
    ack = await peer.call("leave_pqrd", {"subject": "Hueco\x00", "description": "Un hueco", "client_id": "p"})
    assert ack["error"]["code"] == "invalid_text"
    await fresh.close()
    await peer.close()
