"""Benchmark of the web chat: citizen→official delivery latency, memory, and supervisor stats age.

    .venv/bin/python -m bench.bench_chat            # 1,000 chat clients, 500 messages/s, ~10 s each
    .venv/bin/python -m bench.bench_chat --quick    # 20 clients, 40 messages/s, a few seconds

Three set-ups measured in the same run, each a real server subprocess on a fresh PostgreSQL database:

* relay: a bare python-socketio relay (no database): the baseline.
* one: one `contact-center serve`; every message is stored before its ack and reaches the official.
* two: two `contact-center serve` processes sharing Redis; citizens on one, the official on the other.

Latency is measured from the citizen's emit to the official's receipt (same client process, same
clock). After each run the messages in the database are counted (every one must be stored). The
supervisor dashboard's snapshots are timed as they arrive (age = arrival - generated_at).
Targets: p99 <= 100 ms and <= 2x the relay; supervisor stats age p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import socketio

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "contact-center"
PG_ADMIN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AGENT = "agente1@demo.pasto.gov.co"


@dataclass
class Sizes:
    clients: int
    rate: float  # messages per second, all citizens together
    seconds: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the bare relay (baseline) ----------------------------------------------------------------------


def relay_server(port: int) -> None:
    """A python-socketio relay with the same shape: ack the citizen, emit to the official's room."""
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp", max_http_buffer_size=64 * 1024)
    app = web.Application()
    sio.attach(app)

    @sio.on("connect", namespace="/agents")  # type: ignore[misc]
    async def agent(sid: str, environ: Any, auth: Any = None) -> None:
        await sio.enter_room(sid, "official", namespace="/agents")

    @sio.on("send", namespace="/chat")  # type: ignore[misc]
    async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        await sio.emit(
            "message", {"body": data["body"], "sender": "citizen"}, to="official", namespace="/agents"
        )
        return {"ok": True}

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


# -- server processes -------------------------------------------------------------------------------


class Server:
    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        command = [a.replace("{port}", str(self.port)) for a in argv]
        self.proc = subprocess.Popen(
            command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self) -> Server:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/health") as resp:
                        if resp.status == 200:
                            return self
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def fresh_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def app_env(dsn: str, redis: bool, tag: str) -> dict[str, str]:
    """The servers' environment; the schema and the demo city are created once (both are idempotent)."""
    env = {
        "DATABASE_URL": dsn,
        "SECRET_KEY": "bench-secret",
        "LOG_LEVEL": "WARNING",
        "JOBS": "inline",
        "REDIS_URL": REDIS_URL if redis else "",
        "REDIS_NAMESPACE": f"bench-chat-{tag}-{os.getpid()}",
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(CLI), *command], env={**os.environ, **env}, check=True, capture_output=True)
    return env


# -- load -------------------------------------------------------------------------------------------


async def connect(url: str, namespace: str, auth: Any = None) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=20)
    return client


async def login(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{url}/api/v1/auth/login", json={"email": AGENT, "password": "demo-195"})
        return str((await resp.json())["token"])


async def citizens(url: str, count: int, start: bool) -> list[socketio.AsyncClient]:
    gate = asyncio.Semaphore(25)

    async def one() -> socketio.AsyncClient:
        async with gate:
            client = await connect(url, "/chat")
            if start:
                ack = await client.call("start", {"consent": True}, namespace="/chat", timeout=60)
                assert ack.get("ok"), ack
            return client

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def assign_all(dsn: str) -> None:
    """Give every waiting chat to agente1 (the router would cap them at his chat capacity)."""
    conn = await asyncpg.connect(dsn)
    try:
        official = await conn.fetchval("SELECT id FROM officials WHERE email = $1", AGENT)
        await conn.execute(
            "UPDATE conversations SET official_id = $1, state = 'active' WHERE state = 'queued'", official
        )
    finally:
        await conn.close()


async def stored(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM messages WHERE sender = 'citizen'"))
    finally:
        await conn.close()


async def drive(
    clients: list[socketio.AsyncClient], sizes: Sizes, official: socketio.AsyncClient
) -> dict[str, Any]:
    """Send at `rate` round-robin over the citizens; the official's receipts give the latencies."""
    latencies: list[float] = []
    acked: list[int] = []
    received = asyncio.Event()
    total = int(sizes.rate * sizes.seconds)

    async def on_message(data: dict[str, Any]) -> None:
        if data.get("sender") == "citizen":
            latencies.append(time.perf_counter() - float(data["body"].split()[1]))
            if len(latencies) >= total:
                received.set()

    official.on("message", on_message, namespace="/agents")
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        due = started + i / sizes.rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        body = {"client_id": f"b{i}", "body": f"m {time.perf_counter():.6f}"}
        tasks.append(
            asyncio.create_task(clients[i % len(clients)].call("send", body, namespace="/chat", timeout=30))
        )
    acks = await asyncio.gather(*tasks, return_exceptions=True)
    acked.extend(1 for a in acks if isinstance(a, dict) and a.get("ok"))
    with suppress(TimeoutError):
        await asyncio.wait_for(received.wait(), 15)
    elapsed = time.perf_counter() - started
    return {
        "sent": total,
        "acked": len(acked),
        "delivered": len(latencies),
        "rate": round(total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


async def run_relay(sizes: Sizes) -> dict[str, Any]:
    server = Server([sys.executable, "-m", "bench.bench_chat", "--relay-port", "{port}"], {})
    try:
        await server.ready()
        official = await connect(server.url, "/agents")
        clients = await citizens(server.url, sizes.clients, start=False)
        out = await drive(clients, sizes, official)
        out["rss_mb"] = round(rss_mb(server.proc.pid), 1)
        await asyncio.gather(*(c.disconnect() for c in [*clients, official]))
        return out
    finally:
        server.stop()


async def run_app(sizes: Sizes, processes: int, dsn: str) -> dict[str, Any]:
    servers: list[Server] = []
    try:
        env = app_env(dsn, redis=processes > 1, tag=str(processes))
        servers = [Server([str(CLI), "serve"], env) for _ in range(processes)]
        for s in servers:
            await s.ready()
        citizen_url, official_url = servers[0].url, servers[-1].url
        before = await stored(dsn)
        clients = await citizens(citizen_url, sizes.clients, start=True)
        await assign_all(dsn)
        official = await connect(official_url, "/agents", {"token": await login(official_url)})
        watcher = StatsWatcher()
        supervisor = await watcher.connect(official_url)
        changes = asyncio.create_task(watcher.change_presence(supervisor))
        out = await drive(clients, sizes, official)
        changes.cancel()
        out["stored"] = await stored(dsn) - before
        out["rss_mb"] = round(sum(rss_mb(s.proc.pid) for s in servers), 1)
        out["supervisor_updates"] = watcher.updates
        out["supervisor_age_p95_ms"] = round(percentile(watcher.ages, 0.95) * 1000, 1)
        await asyncio.gather(*(c.disconnect() for c in [*clients, official, supervisor]))
        return out
    finally:
        for s in servers:
            s.stop()


class StatsWatcher:
    """The supervisor's browser: how long after a change (a presence change, acknowledged as
    committed) the dashboard pushed to it shows that change."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.ages: list[float] = []
        self.updates = 0
        self.me: int | None = None

    async def connect(self, url: str) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        client.on("dashboard", self.on_dashboard, namespace="/supervisors")
        await client.connect(
            url, namespaces=["/supervisors"], auth={"token": await _sup(url)}, transports=["websocket"]
        )
        return client

    async def on_dashboard(self, data: dict[str, Any]) -> None:
        self.updates += 1
        for o in data["officials"]:
            reason = o.get("away_reason")
            if reason in self.sent:
                self.ages.append(time.perf_counter() - self.sent.pop(reason))

    async def change_presence(self, client: socketio.AsyncClient) -> None:
        official_id = await _official_id(client)
        for i in range(10_000):
            reason = f"pausa {i}"
            self.sent[reason] = time.perf_counter()
            body = {"official_id": official_id, "presence": "away", "reason": reason}
            await client.call("set_presence", body, namespace="/supervisors", timeout=30)
            await asyncio.sleep(2.0)  # a supervisor-visible change every 2 s


async def _official_id(client: socketio.AsyncClient) -> int:
    ack = await client.call("refresh", {}, namespace="/supervisors", timeout=30)
    return int(next(o["id"] for o in ack["dashboard"]["officials"] if o["name"] == "Carolina Benavides"))


async def _sup(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{url}/api/v1/auth/login", json={"email": "supervisor@demo.pasto.gov.co", "password": "demo-195"}
        )
        return str((await resp.json())["token"])


async def bench(sizes: Sizes) -> dict[str, Any]:
    relay = await run_relay(sizes)
    name = f"p195_bench_chat_{os.getpid()}"
    dsn = await fresh_database(name)
    try:
        one = await run_app(sizes, 1, dsn)
        two = await run_app(sizes, 2, dsn)
    finally:
        await drop_database(name)
    return {
        "clients": sizes.clients,
        "target_rate": sizes.rate,
        "relay": relay,
        "one_process": one,
        "two_processes": two,
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"chat benchmark: {result['clients']} clients, {result['target_rate']} messages/s citizen -> official"
    )
    for key in ("relay", "one_process", "two_processes"):
        r = result[key]
        extra = (
            f", stored {r['stored']}, supervisor age p95 {r['supervisor_age_p95_ms']} ms"
            if "stored" in r
            else ""
        )
        print(
            f"  {key:14} sent {r['sent']}, delivered {r['delivered']}, "
            f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, rate {r['rate']}/s, RSS {r['rss_mb']} MB{extra}"
        )
    relay_p99 = max(result["relay"]["p99_ms"], 1.0)
    print(
        f"  p99 vs relay: one {result['one_process']['p99_ms'] / relay_p99:.2f}x, "
        f"two {result['two_processes']['p99_ms'] / relay_p99:.2f}x"
    )
    print(json.dumps(result))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_chat")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--relay-port", type=int, help=argparse.SUPPRESS)  # run as the bare relay
    args = parser.parse_args(argv)
    if args.relay_port:
        relay_server(args.relay_port)
        return {}
    sizes = Sizes(20, 40.0, 2.0) if args.quick else Sizes(1000, 500.0, 10.0)
    result = asyncio.run(bench(sizes))
    report(result)
    return result


if __name__ == "__main__":
    main()
