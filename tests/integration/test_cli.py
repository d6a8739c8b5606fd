"""The installed `contact-center` command: db upgrade, seed-demo (idempotent) and serve."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.request import urlopen

from tests.support.server import ServerProcess
from tests.support.services import REDIS_URL


def test_db_upgrade_and_seed_demo_twice_on_sqlite(tmp_path: Path) -> None:
    server = ServerProcess({"DATA_DIR": str(tmp_path / "var")})
    assert server.run_cli("db", "upgrade").returncode == 0
    first = server.run_cli("seed-demo")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["officials_created"] >= 2
    second = json.loads(server.run_cli("seed-demo").stdout)
    assert second["officials_created"] == 0
    conn = sqlite3.connect(tmp_path / "var" / "pasto195.db")
    emails = {r[0] for r in conn.execute("SELECT email FROM officials")}
    assert {"supervisor@demo.pasto.gov.co", "agente1@demo.pasto.gov.co"} <= emails


def test_serve_on_postgres_and_redis_reports_both_ok(pg_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": pg_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "cli-test-secret-key-of-at-least-32-bytes",
        "DATA_DIR": str(tmp_path),
    }
    with (
        ServerProcess(env, log_path=tmp_path / "server.log") as server,
        urlopen(f"{server.url}/health") as resp,
    ):
        assert json.load(resp) == {"status": "ok", "database": "ok", "redis": "ok"}


def test_worker_without_redis_url_explains_itself(tmp_path: Path) -> None:
    result = ServerProcess({"DATA_DIR": str(tmp_path)}).run_cli("worker")
    assert result.returncode == 2 and "REDIS_URL" in result.stderr


def test_seed_demo_refuses_postgres_unless_asked(pg_url: str, tmp_path: Path) -> None:
    from tests.support import services

    services.run_sync(services.truncate_all(pg_url.replace("+asyncpg", "")))
    env = {"DATABASE_URL": pg_url, "SECRET_KEY": "cli-test-secret-key-of-at-least-32-bytes"}
    server = ServerProcess({**env, "DATA_DIR": str(tmp_path)})
    refused = server.run_cli("seed-demo")
    assert refused.returncode == 2 and "--allow-demo-accounts" in refused.stderr
    asked = server.run_cli("seed-demo", "--allow-demo-accounts")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["officials_created"] >= 2
    by_env = ServerProcess({**env, "DATA_DIR": str(tmp_path), "ALLOW_DEMO_SEED": "1"}).run_cli("seed-demo")
    assert by_env.returncode == 0, by_env.stderr


def test_a_short_secret_key_stops_the_service_by_name(tmp_path: Path) -> None:
    result = ServerProcess({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x"}).run_cli("seed-demo")
    assert result.returncode == 2 and "SECRET_KEY" in result.stderr
