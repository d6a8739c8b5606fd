"""Benchmark of the web chat: citizen→official delivery latency, memory, and supervisor stats age.

    .venv/bin/python -m bench.bench_chat            # 1,000 chat clients, 500 messages/s, 10 s, 3 rounds
    .venv/bin/python -m bench.bench_chat --quick    # 20 clients, 40 messages/s for 1 s

Five set-ups measured in the same run, each a real server subprocess (the app on a fresh
PostgreSQL database):

* relay: a bare python-socketio relay (no database): the baseline of `one`.
* one: one `contact-center serve`; every message is stored before its ack and reaches the official.
* relay2: two bare relays sharing Redis (`AsyncRedisManager`), citizens on one, the official on the
  other: the baseline of `two`.
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
import logging
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import socketio

# TCP by default; `postgresql://postgres@/postgres?host=/var/run/postgresql` measures the app with
# PostgreSQL over its Unix socket (same host), where a statement's send() costs the server less.
PG_ADMIN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AGENT = "agente1@demo.pasto.gov.co"


@dataclass
class Sizes:
    clients: int
    rate: float  # messages per second, all citizens together
    seconds: float
    processes: int  # load generator processes
    rounds: int  # each set-up measured this many times, interleaved


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


def cpu_seconds(servers: list[Server]) -> float:
    """User + system CPU the servers' processes used so far (what the machine's load cannot inflate
    as it inflates latency)."""
    ticks = 0
    for server in servers:
        fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the bare relay (baseline) ----------------------------------------------------------------------


def relay_server(port: int, redis_url: str | None) -> None:
    """A python-socketio relay with the same shape: ack the citizen, emit to the official's room
    (through Redis to the other relay process when `redis_url` is given)."""
    from aiohttp import web

    channel = f"bench-relay-{os.getppid()}"  # both relays of a run share their parent
    # The app's Redis pool size (contact_center/core/http/realtime.py): with redis-py's default the
    # relay's publishes run out of connections and retry at this rate.
    manager = None
    if redis_url:
        options = {"max_connections": 500}
        manager = socketio.AsyncRedisManager(redis_url, channel=channel, redis_options=options)
    sio = socketio.AsyncServer(async_mode="aiohttp", max_http_buffer_size=64 * 1024, client_manager=manager)
    app = web.Application()
    sio.attach(app)

    @sio.on("connect", namespace="/agents")  # type: ignore[misc,untyped-decorator,unused-ignore]
    async def agent(sid: str, environ: Any, auth: Any = None) -> None:
        await sio.enter_room(sid, "official", namespace="/agents")

    @sio.on("send", namespace="/chat")  # type: ignore[misc,untyped-decorator,unused-ignore]
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
            command,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def go(self) -> None:
        """Let a server started with `--app-server wait` serve (the database is seeded)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self) -> Server:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                with suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/health") as resp:
                        if resp.status == 200:
                            return self
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")


def stop_all(servers: list[Server]) -> None:
    """Terminate every server at once, then wait (a graceful shutdown each, in parallel)."""
    for server in servers:
        server.proc.terminate()
    deadline = time.monotonic() + 2  # no need for a graceful end: the measurements are taken
    for server in servers:
        try:
            server.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            server.proc.kill()


async def fresh_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urllib.parse.urlsplit(PG_ADMIN)._replace(path=f"/{name}").geturl()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def app_env(dsn: str, redis: bool, tag: str) -> dict[str, str]:
    return {
        "DATABASE_URL": dsn,
        "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
        "LOG_LEVEL": "WARNING",
        "JOBS": "inline",
        "REDIS_URL": REDIS_URL if redis else "",
        "REDIS_NAMESPACE": f"bench-chat-{tag}-{os.getpid()}",
    }


def app_server(mode: str) -> None:
    """`contact-center serve`, started early: the application is imported while the database is
    being prepared. `seed`: create the schema and the demo city first (both idempotent), then
    serve; `wait`: serve once told the database is ready (a line on stdin)."""
    import contact_center.app  # noqa: F401  # the import is most of a server's start-up
    from contact_center.cli import main

    if mode == "seed":
        assert main(["db", "upgrade"]) == main(["seed-demo", "--allow-demo-accounts"]) == 0
    else:
        sys.stdin.readline()
    sys.exit(main(["serve"]))


def app_servers(dsn: str) -> tuple[Server, list[Server]]:
    """One server without Redis, which seeds the database, and two sharing Redis, which start
    serving once it is seeded; all three import the application at the same time."""
    argv = [sys.executable, "-m", "bench.bench_chat", "--app-server"]
    one = Server([*argv, "seed"], app_env(dsn, redis=False, tag="1"))
    two = [Server([*argv, "wait"], app_env(dsn, redis=True, tag="2")) for _ in range(2)]
    return one, two


# -- load -------------------------------------------------------------------------------------------


async def connect(url: str, namespace: str, auth: Any = None) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=20)
    return client


async def login(url: str) -> str:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{url}/api/v1/auth/login", json={"email": AGENT, "password": "demo-195"})
        return str((await resp.json())["token"])


def quiet_clients() -> None:
    # engineio logs "packet queue is empty, aborting" for every client that disconnects.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


async def citizens(url: str, count: int, start: bool) -> list[socketio.AsyncClient]:
    gate = asyncio.Semaphore(25)

    async def one() -> socketio.AsyncClient:
        async with gate:
            client = await connect(url, "/chat")
            for attempt in range(3 if start else 0):
                ack = await client.call("start", {"consent": True}, namespace="/chat", timeout=60)
                if ack.get("ok"):
                    break
                # The shared PostgreSQL may refuse a connection (max_connections) for a moment.
                assert attempt < 2, ack
                await asyncio.sleep(1)
            return client

    return list(await asyncio.gather(*(one() for _ in range(count))))


@dataclass(frozen=True)
class Share:
    """One load process's part: its citizens, and every `step`-th message from `first` on."""

    url: str
    clients: int
    start: bool
    first: int
    step: int
    total: int
    rate: float


def load_process(conn: Connection) -> None:
    """A citizen load generator in its own process, so sending never starves on the server's cores.
    Started once and reused by every set-up: it runs each `Share` it receives until it gets None."""
    quiet_clients()
    while (share := conn.recv()) is not None:
        asyncio.run(_load(conn, share))


async def _load(conn: Connection, share: Share) -> None:
    loop = asyncio.get_running_loop()
    clients = await citizens(share.url, share.clients, share.start)
    conn.send("ready")
    started = float(await loop.run_in_executor(None, conn.recv))  # the common start (CLOCK_MONOTONIC)
    tasks = []
    for i in range(share.first, share.total, share.step):
        await asyncio.sleep(max(0.0, started + i / share.rate - time.perf_counter()))
        body = {"client_id": f"b{i}", "body": f"m {time.perf_counter():.6f}"}
        client = clients[(i // share.step) % len(clients)]
        tasks.append(asyncio.create_task(client.call("send", body, namespace="/chat", timeout=30)))
    acks = await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(sum(1 for a in acks if isinstance(a, dict) and a.get("ok")))
    await loop.run_in_executor(None, conn.recv)  # "stop": disconnect once the official has counted
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    conn.send("stopped")


class Load:
    """`processes` load generators sharing the citizens and the message schedule of each set-up."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.total = int(sizes.rate * sizes.seconds)
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[Any] = []
        for _ in range(sizes.processes):
            mine, theirs = context.Pipe()
            proc = context.Process(target=load_process, args=(theirs,), daemon=True)
            proc.start()
            self.pipes.append(mine)
            self.procs.append(proc)

    async def connect(self, url: str, start: bool) -> None:
        """Every process connects (and starts the chats of) its share of the citizens."""
        n, sizes = len(self.pipes), self.sizes
        for k, pipe in enumerate(self.pipes):
            clients = sizes.clients // n + (k < sizes.clients % n)
            pipe.send(Share(url, clients, start, k, n, self.total, sizes.rate))
        await self._all("ready")

    def go(self) -> None:
        started = time.perf_counter() + 0.2
        for pipe in self.pipes:
            pipe.send(started)

    async def acked(self) -> int:
        return sum(int(answer) for answer in await self._all())

    async def disconnect(self) -> None:
        for pipe in self.pipes:
            pipe.send("stop")
        await self._all("stopped")

    async def _all(self, expected: str | None = None) -> list[Any]:
        loop = asyncio.get_running_loop()
        answers = [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]
        assert expected is None or all(a == expected for a in answers), answers
        return answers

    def close(self) -> None:
        for pipe in self.pipes:
            with suppress(OSError):
                pipe.send(None)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()


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


async def drive(load: Load, official: socketio.AsyncClient) -> dict[str, Any]:
    """Start the load processes' schedule; the official's receipts give the latencies."""
    latencies: list[float] = []
    received = asyncio.Event()

    async def on_message(data: dict[str, Any]) -> None:
        if data.get("sender") == "citizen":
            latencies.append(time.perf_counter() - float(data["body"].split()[1]))
            if len(latencies) >= load.total:
                received.set()

    official.on("message", on_message, namespace="/agents")
    started = time.perf_counter()
    load.go()
    acked = await load.acked()
    with suppress(TimeoutError):
        await asyncio.wait_for(received.wait(), 15)
    elapsed = time.perf_counter() - started - 0.2
    return {
        "sent": load.total,
        "acked": acked,
        "delivered": len(latencies),
        "rate": round(load.total / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


async def run_relay(servers: list[Server], load: Load) -> dict[str, Any]:
    await asyncio.gather(*(s.ready() for s in servers))
    official = await connect(servers[-1].url, "/agents")
    await load.connect(servers[0].url, start=False)
    cpu = cpu_seconds(servers)
    out = await drive(load, official)
    out["cpu_ms_per_message"] = round((cpu_seconds(servers) - cpu) * 1000 / load.total, 3)
    out["rss_mb"] = round(sum(rss_mb(s.proc.pid) for s in servers), 1)
    await asyncio.gather(load.disconnect(), official.disconnect())
    return out


async def run_app(servers: list[Server], load: Load, dsn: str) -> dict[str, Any]:
    await asyncio.gather(*(s.ready() for s in servers))
    citizen_url, official_url = servers[0].url, servers[-1].url
    # Nothing is sent before `drive`: the count before, the login and the citizens' chats overlap.
    before, token, _ = await asyncio.gather(stored(dsn), login(official_url), load.connect(citizen_url, True))
    await assign_all(dsn)
    official = await connect(official_url, "/agents", {"token": token})
    watcher = StatsWatcher()
    supervisor = await watcher.connect(official_url)
    changes = asyncio.create_task(watcher.change_presence(supervisor))
    cpu = cpu_seconds(servers)
    out = await drive(load, official)
    out["cpu_ms_per_message"] = round((cpu_seconds(servers) - cpu) * 1000 / load.total, 3)
    changes.cancel()
    await load.disconnect()
    out["stored"] = await stored(dsn) - before
    out["rss_mb"] = round(sum(rss_mb(s.proc.pid) for s in servers), 1)
    out["supervisor_updates"] = watcher.updates
    out["supervisor_age_p95_ms"] = round(percentile(watcher.ages, 0.95) * 1000, 1)
    await asyncio.gather(official.disconnect(), supervisor.disconnect())
    return out


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


SETUPS = ("relay", "one_process", "relay2", "two_processes")
COUNTS = ("sent", "acked", "delivered", "stored", "supervisor_updates")  # summed over the rounds


async def bench(sizes: Sizes) -> dict[str, Any]:
    """All servers start together (their start-up overlaps) on one database, seeded once. Each
    round measures the four set-ups one after another (so a change in the machine's load touches
    all of them); the figures are the medians over the rounds, the counts their sums."""
    name = f"p195_bench_chat_{os.getpid()}"
    dsn = await fresh_database(name)
    relay_argv = [sys.executable, "-m", "bench.bench_chat", "--relay-port", "{port}"]
    relay = Server(relay_argv, {})
    relay2 = [Server([*relay_argv, "--relay-redis", REDIS_URL], {}) for _ in range(2)]
    one, two = app_servers(dsn)
    servers, load = [relay, *relay2, one, *two], Load(sizes)
    rounds: list[dict[str, dict[str, Any]]] = []
    try:
        await one.ready()  # seeded
        for server in two:
            server.go()
        await asyncio.gather(*(s.ready() for s in servers))  # no start-up overlaps a run
        for _ in range(sizes.rounds):
            rounds.append(
                {
                    "relay": await run_relay([relay], load),
                    "one_process": await run_app([one], load, dsn),
                    "relay2": await run_relay(relay2, load),
                    "two_processes": await run_app(two, load, dsn),
                }
            )
    finally:  # all at once: the database is dropped WITH (FORCE)
        await asyncio.gather(
            asyncio.to_thread(load.close), asyncio.to_thread(stop_all, servers), drop_database(name)
        )
    result: dict[str, Any] = {
        "clients": sizes.clients,
        "target_rate": sizes.rate,
        "load_processes": sizes.processes,
        "rounds": sizes.rounds,
        **{key: combined([r[key] for r in rounds]) for key in SETUPS},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    return result


def combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One set-up over the rounds: counts summed, every other figure the median; the p99 of each
    round is kept too."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        out[key] = sum(values) if key in COUNTS else statistics.median(values)
    out["p99_ms_rounds"] = [run["p99_ms"] for run in runs]
    return out


def report(result: dict[str, Any]) -> None:
    print(
        f"chat benchmark: {result['clients']} clients in {result['load_processes']} load processes, "
        f"{result['target_rate']} messages/s citizen -> official, {result['rounds']} rounds "
        f"(medians; counts summed), load average {result['load_average']}"
    )
    for key in SETUPS:
        r = result[key]
        extra = (
            f", stored {r['stored']}, supervisor age p95 {r['supervisor_age_p95_ms']} ms"
            if "stored" in r
            else ""
        )
        print(
            f"  {key:14} sent {r['sent']}, delivered {r['delivered']}, "
            f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms {r['p99_ms_rounds']}, rate {r['rate']}/s, "
            f"server CPU {r['cpu_ms_per_message']} ms/message, RSS {r['rss_mb']} MB{extra}"
        )
    relay_p99, relay2_p99 = (max(result[k]["p99_ms"], 1.0) for k in ("relay", "relay2"))
    two_p99 = result["two_processes"]["p99_ms"]
    print(
        f"  p99 vs relay: one {result['one_process']['p99_ms'] / relay_p99:.2f}x the relay, "
        f"two {two_p99 / relay_p99:.2f}x the relay ({two_p99 / relay2_p99:.2f}x the two relays over Redis)"
    )
    print(json.dumps(result))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_chat")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each set-up (medians)")
    parser.add_argument("--relay-port", type=int, help=argparse.SUPPRESS)  # run as the bare relay
    parser.add_argument("--relay-redis", help=argparse.SUPPRESS)  # the relay's Redis, if any
    parser.add_argument("--app-server", choices=["seed", "wait"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.relay_port:
        relay_server(args.relay_port, args.relay_redis)
        return {}
    if args.app_server:
        app_server(args.app_server)
    quiet_clients()
    sizes = Sizes(20, 40.0, 1.0, 1, 1) if args.quick else Sizes(1000, 500.0, 10.0, 3, args.rounds)
    result = asyncio.run(bench(sizes))
    report(result)
    return result


if __name__ == "__main__":
    main()
