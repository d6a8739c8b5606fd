"""Two `contact-center serve` processes on one PostgreSQL database and the real Redis: a citizen
on one process and an official on the other chat normally; no message is lost or duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support import services
from tests.support.chat_clients import Peer, citizen, close_all
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
MESSAGES = 40


@pytest.fixture
def two_servers(tmp_path: Path, redis_namespace: str) -> Iterator[tuple[str, str]]:
    name = services.unique_name("p195_two")
    dsn = services.run_sync(services.create_database(name))
    env = {
        "DATABASE_URL": dsn,
        "REDIS_URL": services.REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "SECRET_KEY": "two-processes-test-secret-of-32-bytes+",
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "console",
        "JOBS": "inline",
    }
    first = ServerProcess(env, log_path=tmp_path / "a.log")
    for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
        done = first.run_cli(*command)
        assert done.returncode == 0, done.stderr
    second = ServerProcess(env, log_path=tmp_path / "b.log")
    try:
        with first, second:
            yield first.url, second.url
    finally:
        services.run_sync(services.drop_database(name))


async def token_for(url: str, email: str) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{url}/api/v1/auth/login", json={"email": email, "password": "demo-195"})
        body: dict[str, Any] = await resp.json()
        return str(body["token"])


async def test_citizen_on_one_process_official_on_the_other(two_servers: tuple[str, str]) -> None:
    url_a, url_b = two_servers
    try:
        official = await Peer("/agents").connect(
            url_b, {"token": await token_for(url_b, "agente1@demo.pasto.gov.co")}
        )
        await official.next("console.ready")
        assert (await official.call("presence", {"presence": "available"}))["ok"]
        person, started = await citizen(url_a, name="Ana", topic="atencion_general")
        offer = await official.next("offer", wait=15)
        accepted = await official.call("accept", {"offer_id": offer["offer_id"]})
        assert accepted["ok"], accepted
        await person.next("chat.joined", wait=10)
        conversation_id = started["conversation_id"]

        async def citizen_sends() -> None:
            for i in range(MESSAGES):
                assert (await person.call("send", {"client_id": f"c{i}", "body": f"ciudadano {i}"}))["ok"]

        async def official_sends() -> None:
            for i in range(MESSAGES):
                body = {"conversation_id": conversation_id, "client_id": f"o{i}", "body": f"funcionario {i}"}
                assert (await official.call("send", body))["ok"]

        await asyncio.gather(citizen_sends(), official_sends())
        await asyncio.sleep(1.5)  # let the last deliveries through Redis arrive
        at_official = [m["body"] for m in official.drain("message") if m["sender"] == "citizen"]
        at_citizen = [m["body"] for m in person.drain("message") if m["sender"] == "official"]
        assert at_official == [f"ciudadano {i}" for i in range(MESSAGES)]  # all, once, in order
        assert at_citizen == [f"funcionario {i}" for i in range(MESSAGES)]
        # A resend with the same client id after a "network drop" is acknowledged, not duplicated.
        again = await person.call("send", {"client_id": "c0", "body": "ciudadano 0"})
        assert again["duplicate"]
        resumed = await (await Peer("/chat").connect(url_b)).call("resume", {"token": started["token"]})
        bodies = [m["body"] for m in resumed["messages"] if m["sender"] != "system"]
        assert len(bodies) == 2 * MESSAGES and len(set(bodies)) == 2 * MESSAGES
    finally:
        await close_all()
