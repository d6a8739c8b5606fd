"""`serve`, `worker` and `seed-demo` on a database that is not at this code's migrations stop with
one line saying to run `contact-center db upgrade` (exit 1), not a traceback; after `db upgrade`
(what `./scripts/run` does first, harmless when repeated) they work."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import asyncpg
import pytest

from tests.support import services
from tests.support.server import ServerProcess

HINT = "ejecute `contact-center db upgrade`"
NOT_MIGRATED = f"contact-center: la base de datos no está al día (sin migrar): {HINT}"
OLDER = f"contact-center: la base de datos no está al día (con un esquema anterior): {HINT}"


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    name = services.unique_name("p195_fresh")
    dsn = services.run_sync(services.create_database(name))
    try:
        yield dsn
    finally:
        services.run_sync(services.drop_database(name))


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "database_ready" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def _pg_tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    finally:
        await conn.close()


def test_on_a_fresh_postgres_the_commands_ask_for_db_upgrade_then_work(
    fresh_postgres: str, tmp_path: Path, redis_namespace: str
) -> None:
    env = {
        "DATABASE_URL": fresh_postgres,
        "REDIS_URL": services.REDIS_URL,
        "REDIS_NAMESPACE": redis_namespace,
        "SECRET_KEY": "cli-test-secret-key-of-at-least-32-bytes",
        "DATA_DIR": str(tmp_path / "var"),
    }
    server = ServerProcess(env, log_path=tmp_path / "server.log")
    for command in (["serve"], ["worker"], ["seed-demo", "--allow-demo-accounts"]):
        assert one_line_refusal(server.run_cli(*command)) == NOT_MIGRATED
    assert services.run_sync(_pg_tables(fresh_postgres)) == set()  # nothing was created
    assert server.run_cli("db", "upgrade", "--revision", "0002").returncode == 0
    assert one_line_refusal(server.run_cli("serve")) == OLDER
    # ./scripts/run: db upgrade (twice is harmless), seed-demo, serve.
    for _ in range(2):
        upgraded = server.run_cli("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
    seeded = server.run_cli("seed-demo", "--allow-demo-accounts")
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["officials_created"] >= 2
    with server, urlopen(f"{server.url}/health") as resp:
        assert json.load(resp)["database"] == "ok"


def test_on_sqlite_the_worker_asks_for_db_upgrade_and_a_newer_database_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "var"
    server = ServerProcess({"DATABASE_URL": "", "REDIS_URL": services.REDIS_URL, "DATA_DIR": str(data)})
    assert one_line_refusal(server.run_cli("worker")) == NOT_MIGRATED
    assert not (data / "pasto195.db").exists()  # looked at, not created
    assert server.run_cli("db", "upgrade", "--revision", "0002").returncode == 0
    assert one_line_refusal(server.run_cli("worker")) == OLDER
    # The embedded default upgrades itself where it can: seed-demo does not refuse an older schema.
    seeded = server.run_cli("seed-demo", "--allow-demo-accounts")
    assert seeded.returncode == 0, seeded.stderr
    # A database migrated by a newer version cannot be upgraded (nor served) by this one.
    with sqlite3.connect(data / "pasto195.db") as conn:
        conn.execute("INSERT INTO alembic_version (version_num) VALUES ('9999_from_the_future')")
    for command in (["serve"], ["seed-demo"], ["worker"], ["db", "upgrade"]):
        line = one_line_refusal(server.run_cli(*command))
        assert "9999_from_the_future" in line, line
