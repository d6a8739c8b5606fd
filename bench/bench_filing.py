"""PQRD filings per second through the real HTTP stack, next to raw asyncpg inserts in the same run.

A `contact-center serve` process (PostgreSQL, then SQLite) takes `POST /api/v1/pqrd` with an
Idempotency-Key from N concurrent aiohttp clients; the baseline is N asyncpg connections doing
single-row INSERT transactions for the same time. Targets: PostgreSQL filing rate >= half the raw
rate with p99 < 200 ms; SQLite >= 150 filings/s.

`--processes P` (P > 1) also measures PostgreSQL with P `contact-center serve` processes on one
database, the clients spread over them in turn (what a load balancer in front of several web
processes does); the one-process figures (`pg_*`) are always measured too, the P-process ones are
`pgN_*` and `pgN_ratio_to_raw`.

    .venv/bin/python -m bench.bench_filing [--quick] [--clients 32] [--seconds 10] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]

from contact_center.core.db import migrate
from tests.support import services
from tests.support.server import ServerProcess

FILING: dict[str, Any] = {
    "type": "peticion",
    "subject": "Hueco en la carrera 27",
    "description": "Hay un hueco profundo frente al número 15-30.",
    "citizen": {"name": "Ana Pérez", "document_type": "CC", "document_number": "1085123456"},
    "anonymous": False,
    "data_consent": True,
    "notify_by_email": False,
    "priority_flags": [],
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


async def _client(http: aiohttp.ClientSession, url: str, until: float, latencies: list[float]) -> int:
    errors = 0
    while time.perf_counter() < until:
        body = copy.deepcopy(FILING)
        body["citizen"]["document_number"] = str(10**9 + len(latencies))  # many citizens, as in life
        started = time.perf_counter()
        async with http.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}) as resp:
            await resp.read()
            if resp.status != 201:
                errors += 1
        latencies.append(time.perf_counter() - started)
    return errors


async def load(base_urls: Sequence[str], clients: int, seconds: float) -> dict[str, float]:
    """`clients` concurrent filers for `seconds`, client i on server i mod len(base_urls)."""
    latencies: list[float] = []
    urls = [f"{base}/api/v1/pqrd" for base in base_urls]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        for url in urls:
            await _client(http, url, time.perf_counter() + 0.5, [])  # warm up
        started = time.perf_counter()
        until = started + seconds
        filers = (_client(http, urls[i % len(urls)], until, latencies) for i in range(clients))
        errors = sum(await asyncio.gather(*filers))
        elapsed = time.perf_counter() - started
    return {
        "per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
        "count": len(latencies),
    }


async def raw_inserts(dsn: str, clients: int, seconds: float) -> float:
    """The baseline: single-row INSERT transactions on N asyncpg connections."""
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    assert pool is not None
    await pool.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial primary key, payload text)")
    count = 0

    async def worker(until: float) -> None:
        nonlocal count
        async with pool.acquire() as conn:
            while time.perf_counter() < until:
                async with conn.transaction():
                    await conn.execute("INSERT INTO bench_raw (payload) VALUES ($1)", FILING["description"])
                count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(started + seconds) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return count / elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def servers_cpu(servers: Sequence[ServerProcess]) -> float:
    return sum(cpu_seconds(server.proc.pid) for server in servers if server.proc is not None)


async def measured(servers: Sequence[ServerProcess], clients: int, seconds: float) -> dict[str, float]:
    """`load` on served apps, with the server processes' CPU time per filing: on a shared machine
    the wall-clock rate follows the load of others, the CPU cost per filing does not."""
    before = servers_cpu(servers)
    figures = await load([server.url for server in servers], clients, seconds)
    cpu = servers_cpu(servers) - before
    return {**figures, "server_cpu_ms": 1000 * cpu / max(1.0, figures["count"])}


def served(env: dict[str, str], log: Path, processes: int = 1) -> list[ServerProcess]:
    """Seed the database, then start `processes` web processes on it (each on its own port)."""
    first = ServerProcess(env, log_path=log)
    result = first.run_cli("seed-demo", "--allow-demo-accounts")
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    servers = [first]
    servers.extend(ServerProcess(env, log_path=log) for _ in range(processes - 1))
    try:
        for server in servers:
            server.start()
    except Exception:
        stop(servers)
        raise
    return servers


def stop(servers: Sequence[ServerProcess]) -> None:
    for server in servers:
        server.stop()


async def measured_on(
    env: dict[str, str], log: Path, processes: int, clients: int, seconds: float
) -> dict[str, float]:
    servers = await asyncio.to_thread(served, env, log, processes)
    try:
        return await measured(servers, clients, seconds)
    finally:
        stop(servers)


async def bench_postgres(clients: int, seconds: float, work: Path, processes: int) -> dict[str, float]:
    name = services.unique_name("p195_bench")
    dsn = await services.create_database(name)
    try:
        await asyncio.to_thread(migrate.upgrade, dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
        env = {
            "DATABASE_URL": dsn,
            "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
            "DATA_DIR": str(work / "pg"),
            "LOG_LEVEL": "WARNING",
        }
        filing = await measured_on(env, work / "pg.log", 1, clients, seconds)
        figures = {f"pg_{k}": v for k, v in filing.items()}
        if processes > 1:
            several = await measured_on(env, work / "pg.log", processes, clients, seconds)
            figures.update({f"pgN_{k}": v for k, v in several.items()})
        figures["pg_raw_inserts_per_s"] = await raw_inserts(dsn, clients, seconds)
    finally:
        await services.drop_database(name)
    return figures


async def bench_sqlite(clients: int, seconds: float, work: Path) -> dict[str, float]:
    env = {"DATABASE_URL": "", "DATA_DIR": str(work / "sqlite"), "LOG_LEVEL": "WARNING"}
    filing = await measured_on(env, work / "sqlite.log", 1, clients, seconds)
    return {f"sqlite_{k}": v for k, v in filing.items()}


async def run(clients: int, seconds: float, processes: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_filing_") as tmp:
        work = Path(tmp)
        figures = {
            **await bench_postgres(clients, seconds, work, processes),
            **await bench_sqlite(clients, seconds, work),
        }
    figures["pg_ratio_to_raw"] = figures["pg_per_s"] / figures["pg_raw_inserts_per_s"]
    if processes > 1:
        figures["pgN_ratio_to_raw"] = figures["pgN_per_s"] / figures["pg_raw_inserts_per_s"]
    figures["clients"] = clients
    figures["processes"] = processes
    return figures


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="bench.bench_filing")
    parser.add_argument("--quick", action="store_true", help="tiny run for the test suite")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--processes", type=int, default=1, help="also measure PostgreSQL with this many web processes"
    )
    args = parser.parse_args(argv)
    clients, seconds = (4, 1.0) if args.quick else (args.clients, args.seconds)
    processes = max(1, args.processes)
    figures = asyncio.run(run(clients, seconds, processes))
    print(f"clients: {clients}, {seconds:.0f} s per measure, load average {os.getloadavg()[0]:.2f}")
    _print_postgres(figures, "pg", "1 web process")
    if processes > 1:
        _print_postgres(figures, "pgN", f"{processes} web processes")
    print(f"PostgreSQL raw asyncpg insert transactions: {figures['pg_raw_inserts_per_s']:.0f}/s")
    print(
        f"SQLite: {figures['sqlite_per_s']:.0f} filings/s (p50 {figures['sqlite_p50_ms']:.0f} ms, "
        f"p99 {figures['sqlite_p99_ms']:.0f} ms, {figures['sqlite_errors']:.0f} errors), "
        f"server CPU {figures['sqlite_server_cpu_ms']:.1f} ms per filing (target >= 150/s)"
    )
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    sys.stdout.flush()
    return figures


def _print_postgres(figures: dict[str, float], key: str, label: str) -> None:
    print(
        f"PostgreSQL, {label}: {figures[f'{key}_per_s']:.0f} filings/s "
        f"(p50 {figures[f'{key}_p50_ms']:.0f} ms, p99 {figures[f'{key}_p99_ms']:.0f} ms, "
        f"{figures[f'{key}_errors']:.0f} errors), server CPU {figures[f'{key}_server_cpu_ms']:.1f} ms "
        f"per filing; ratio to raw {figures[f'{key}_ratio_to_raw']:.3f} (target >= 0.5)"
    )


if __name__ == "__main__":
    main()
