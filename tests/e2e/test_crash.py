"""SIGKILL the server while clients file PQRDs with Idempotency-Keys, restart it, retry what was in flight.

Every filing that was answered 201 is in the database, and no key produced two tickets: the answer
is committed with the effect, so a retry after the crash either replays it or files it for the
first time.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from contact_center.core.db import migrate
from tests.integration.test_pqrd_api import FILING
from tests.support import services
from tests.support.server import ServerProcess

CLIENTS = 8


@pytest.fixture(params=["postgres", "sqlite"])
def crash_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        "DATA_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "crash-test-key-of-at-least-32-bytes",
        "LOG_LEVEL": "WARNING",
    }
    if request.param == "sqlite":
        yield {**env, "DATABASE_URL": ""}
        return
    name = services.unique_name("p195_crash")
    dsn = services.run_sync(services.create_database(name))
    migrate.upgrade(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        yield {**env, "DATABASE_URL": dsn}
    finally:
        services.run_sync(services.drop_database(name))


def body_for(key: str) -> dict[str, Any]:
    body = copy.deepcopy(FILING)
    body["subject"] = f"crash {key}"
    body["notify_by_email"] = False
    return body


async def file_until_stopped(
    url: str, stop: asyncio.Event, acked: dict[str, str], in_flight: set[str]
) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while not stop.is_set():
            key = str(uuid.uuid4())
            in_flight.add(key)
            try:
                async with http.post(
                    f"{url}/api/v1/pqrd", json=body_for(key), headers={"Idempotency-Key": key}
                ) as resp:
                    if resp.status == 201:
                        acked[key] = (await resp.json())["radicado"]
                        in_flight.discard(key)
            except (TimeoutError, aiohttp.ClientError):
                return  # the server died under this request: it stays in flight


async def retry(url: str, keys: set[str], acked: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        for key in keys:
            async with http.post(
                f"{url}/api/v1/pqrd", json=body_for(key), headers={"Idempotency-Key": key}
            ) as resp:
                assert resp.status == 201, await resp.text()
                acked[key] = (await resp.json())["radicado"]


async def stored_subjects(server: ServerProcess, env: dict[str, str]) -> list[tuple[str, str]]:
    if env["DATABASE_URL"]:
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            rows = await conn.fetch("SELECT subject, radicado FROM tickets")
        finally:
            await conn.close()
        return [(r["subject"], r["radicado"]) for r in rows]
    import sqlite3

    with sqlite3.connect(Path(env["DATA_DIR"]) / "pasto195.db") as db:
        return list(db.execute("SELECT subject, radicado FROM tickets"))


@pytest.mark.slow
async def test_sigkill_loses_no_acknowledged_filing_and_retries_duplicate_nothing(
    crash_env: dict[str, str], tmp_path: Path
) -> None:
    server = ServerProcess(crash_env, log_path=tmp_path / "server.log")
    assert server.run_cli("seed-demo", "--allow-demo-accounts").returncode == 0
    await asyncio.to_thread(server.start)
    acked: dict[str, str] = {}
    in_flight: set[str] = set()
    stop = asyncio.Event()
    clients = [
        asyncio.create_task(file_until_stopped(server.url, stop, acked, in_flight)) for _ in range(CLIENTS)
    ]
    for _ in range(300):  # kill once filings are flowing (the machine may be busy)
        if len(acked) >= 20:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)
    acked_before_kill = len(acked)
    await asyncio.to_thread(server.kill)
    stop.set()
    await asyncio.gather(*clients)
    assert acked_before_kill > 10, "the load generator did not get going"
    answered_before = dict(acked)

    await asyncio.to_thread(server.start)
    try:
        await retry(server.url, in_flight, acked)
        rows = await stored_subjects(server, crash_env)
    finally:
        server.stop()
    by_subject: dict[str, list[str]] = {}
    for subject, radicado in rows:
        by_subject.setdefault(subject, []).append(radicado)
    for key, radicado in answered_before.items():
        assert by_subject.get(f"crash {key}") == [radicado]  # answered 201 -> stored, once
    assert all(len(radicados) == 1 for radicados in by_subject.values())
    assert len(rows) == len(acked) and len({r for _, r in rows}) == len(rows)
