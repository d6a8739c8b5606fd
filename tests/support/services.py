"""The real PostgreSQL and Redis the tests use, each isolated per test run."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg
from redis.asyncio import Redis

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even while a test's event loop is running."""
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


async def check_services() -> list[str]:
    """What is down, in words an operator can act on; empty when both services answer."""
    problems = []
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        await conn.close()
    except Exception as exc:
        problems.append(f"PostgreSQL is not reachable at {PG_ADMIN_DSN}: {exc}")
    try:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=5)
        await client.ping()
        await client.aclose()
    except Exception as exc:
        problems.append(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return problems


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"


async def create_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    host_part = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{host_part}/{name}"


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def truncate_all(dsn: str) -> None:
    """Empty every table but Alembic's; the append-only trigger is bypassed for the test reset only."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
        )
        names = ", ".join(f'"{t["tablename"]}"' for t in tables)
        # Connections an earlier test left behind (an app stopped mid-transaction, a LISTEN link)
        # would block TRUNCATE forever; each test starts from a database nobody else is using.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '20s'")
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
