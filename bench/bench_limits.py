"""Floods against a live `contact-center serve`: the abuse limits hold under concurrency.

    .venv/bin/python -m bench.bench_limits [--engine sqlite|postgres] [--redis] [--logins N] [--filings N]
    (--quick: 40 and 40)

1. `--logins` concurrent wrong passwords for one official from one address: at most
   LOGIN_FAILURES_PER_ADDRESS (10) are checked (401), the rest get 429.
2. The same number from as many addresses (X-Forwarded-For through TRUSTED_PROXIES=127.0.0.1):
   LOGIN_FREE_FAILURES (10) free guesses, then the progressive delay lets a few more through;
   meanwhile the official logs in from the address they used before (200).
3. `--filings` concurrent anonymous filings from one address: FILING_LIMIT (20) are filed (201),
   the rest get 429; the tickets are counted in the database.
Prints one JSON object with the answers by status and the wall time of each flood.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import services
from tests.support.server import ServerProcess

OFFICIAL = "supervisor@demo.pasto.gov.co"
FILING = {"type": "peticion", "subject": "Hueco", "description": "Un hueco en la vía.", "anonymous": True}
SECRET = "bench-secret-key-of-at-least-32-bytes"


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any], address: str | None) -> int:
    headers = {"X-Forwarded-For": address} if address else {}
    async with http.post(url, json=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def flood(url: str, bodies: list[tuple[dict[str, Any], str | None]]) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        statuses = await asyncio.gather(*(_post(http, url, body, address) for body, address in bodies))
        seconds = time.perf_counter() - started
    return {"answers": dict(sorted(Counter(statuses).items())), "seconds": round(seconds, 2)}


async def run(base: str, logins: int, filings: int) -> dict[str, Any]:
    login_url, filing_url = f"{base}/api/v1/auth/login", f"{base}/api/v1/pqrd"
    wrong = {"email": OFFICIAL, "password": "adivina"}
    right = {"email": OFFICIAL, "password": "demo-195"}
    owner = "198.51.100.7"
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        out["owner_first_login"] = await _post(http, login_url, right, owner)
    out["login_one_address"] = await flood(login_url, [(wrong, "203.0.113.1")] * logins)
    many = [(wrong, f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}") for n in range(logins)]
    distributed = asyncio.create_task(flood(login_url, many))
    await asyncio.sleep(0.2)
    async with aiohttp.ClientSession() as http:
        out["owner_login_during_distributed_flood"] = await _post(http, login_url, right, owner)
    out["login_many_addresses"] = await distributed
    out["filing_one_address"] = await flood(filing_url, [(FILING, "203.0.113.9")] * filings)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--redis", action="store_true", help="REDIS_URL set: counters in Redis")
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--filings", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="40 log-ins and 40 filings")
    args = parser.parse_args(argv)
    if args.quick:
        args.logins, args.filings = 40, 40
    work = Path(tempfile.mkdtemp(prefix="p195-limits-"))
    env = {
        "DATA_DIR": str(work / "var"),
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "ERROR",
        "TRUSTED_PROXIES": "127.0.0.1",
        "FILING_LIMIT": "20",
        "REDIS_URL": services.REDIS_URL if args.redis else "",
        "REDIS_NAMESPACE": services.unique_name("p195limits"),
        "JOBS": "inline",
        "DATABASE_URL": "",
    }
    database = None
    if args.engine == "postgres":
        database = services.unique_name("p195_limits")
        env["DATABASE_URL"] = services.run_sync(services.create_database(database))
    server = ServerProcess(env, log_path=work / "server.log")
    try:
        for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
            done = server.run_cli(*command)
            assert done.returncode == 0, done.stderr
        with server:
            result = {
                "engine": args.engine,
                "redis": args.redis,
                **asyncio.run(run(server.url, args.logins, args.filings)),
            }
        print(json.dumps(result))
    finally:
        if database is not None:
            services.run_sync(services.drop_database(database))
    return result


if __name__ == "__main__":
    main()
