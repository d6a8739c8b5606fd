"""Shared fixtures: real PostgreSQL and Redis (isolated per run), SQLite, the app and a fake clock.

A database per test run on PostgreSQL, emptied between tests; a migrated SQLite template copied
per test. Tests that take `backend` run once on each engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from contact_center.app import create_app
from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings, load_settings
from contact_center.core.db import migrate
from tests.support import services

TEST_SECRET = "test-secret-key-not-for-production"
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in Bogotá


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = services.run_sync(services.check_services())
    if problems:
        pytest.exit(
            "The test suite needs the local services:\n  - "
            + "\n  - ".join(problems)
            + "\nStart them (see README, 'Running the tests') and run again.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = services.unique_name("p195_test")
    dsn = services.run_sync(services.create_database(name))
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    migrate.upgrade(url)
    yield url
    services.run_sync(services.drop_database(name))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def redis_namespace() -> str:
    return services.unique_name("p195t")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_url")
        services.run_sync(services.truncate_all(url.replace("+asyncpg", "")))
        return url
    path = tmp_path / "pasto195.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path, redis_namespace: str) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "data_dir": tmp_path / "var",
            "secret_key": TEST_SECRET,
            "redis_namespace": redis_namespace,
            "public_base_url": "http://testserver.local",
            "log_format": "console",
            # Tests of other features file and register many times from 127.0.0.1; the quotas
            # have their own tests (test_abuse_limits), which set them.
            "filing_limit": 1_000_000,
            "registration_limit": 1_000_000,
        }
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


AppFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def make_client(aiohttp_client: Any, clock: FakeClock, settings: Settings) -> AppFactory:
    async def build(custom: Settings | None = None, **kw: Any) -> TestClient[web.Request, web.Application]:
        app = create_app(custom or settings, clock=clock, **kw)
        client: TestClient[web.Request, web.Application] = await aiohttp_client(app)
        return client

    return build


@pytest.fixture
async def client(make_client: AppFactory) -> TestClient[web.Request, web.Application]:
    return await make_client()


@pytest.fixture
async def seeded(
    client: TestClient[web.Request, web.Application],
) -> TestClient[web.Request, web.Application]:
    """A client whose database holds the demo city (seed-demo)."""
    from contact_center.core.http.keys import UOW
    from contact_center.seed import seed_demo

    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def login(
    client: TestClient[web.Request, web.Application], email: str, password: str = "demo-195"
) -> str:
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert resp.status == 200, await resp.text()
    token: str = (await resp.json())["token"]
    return token
