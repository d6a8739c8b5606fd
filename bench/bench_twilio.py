"""Twilio webhook latency on a served app, next to an aiohttp hello-world route in the same run.

The whole app (`create_app`, SQLite or PostgreSQL) is served on a loopback port; signed
`/channels/twilio/voice` requests (each a new call: a conversation row, the flow's first turn with
its business-hours request, the state persisted and committed) are sent at a fixed rate, open loop,
and their latencies compared with a plain `web.Response("ok")` route served by a separate aiohttp
runner in the same process and run.

    .venv/bin/python -m bench.bench_twilio [--quick] [--rate 200] [--seconds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from contact_center.app import GC_THRESHOLDS, create_app
from contact_center.core.config import load_settings
from contact_center.core.http.keys import UOW
from contact_center.seed import seed_demo

TOKEN = "bench-twilio-token"
TARGET_P99_MS = 50.0


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, int(port)


def _hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hello", hello)
    return app


async def _load(url: str, make: Any, rate: float, seconds: float) -> tuple[list[float], float]:
    """Open loop: request i starts at i / rate whatever the previous ones did. Returns the
    latencies and the process CPU per request (ms: server and load generator together)."""
    latencies: list[float] = []
    cpu_started = time.process_time()
    count = max(1, int(rate * seconds))
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            data, headers = make(i)
            started = time.perf_counter()
            async with session.post(url, data=data, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{url}: HTTP {resp.status}")
            latencies.append((time.perf_counter() - started) * 1000)

        begin = time.perf_counter()
        tasks = []
        for i in range(count):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return latencies, (time.process_time() - cpu_started) * 1000 / count


def _figures(measured: tuple[list[float], float]) -> dict[str, float]:
    latencies, cpu_ms = measured
    ordered = sorted(latencies)
    return {
        "cpu_ms_per_request": round(cpu_ms, 3),
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def run(rate: float, seconds: float, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base = "http://127.0.0.1"
        settings = load_settings(
            database_url=database_url or f"sqlite:///{Path(tmp) / 'bench.db'}", data_dir=Path(tmp),
            secret_key="bench-secret-key-of-at-least-32-bytes", twilio_auth_token=TOKEN,
            log_level="WARNING", public_base_url=base,
        )  # fmt: skip
        app = create_app(settings)
        runner, port = await _serve(app)
        hello_runner, hello_port = await _serve(_hello_app())
        thresholds = gc.get_threshold()
        try:
            async with app[UOW]() as uow:
                await seed_demo(uow)
            # As `contact-center serve` does once started (contact_center.app._freeze_startup_heap):
            # the start-up heap frozen, young collections spaced. Undone below for in-process callers.
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            validator = RequestValidator(TOKEN)
            stamp = int(time.time() * 1000)

            def twilio_request(i: int) -> tuple[dict[str, str], dict[str, str]]:
                params = {"CallSid": f"CAbench{stamp}{i:08d}", "From": "+573001234567", "To": "+576027333195"}
                signature = validator.compute_signature(f"{base}/channels/twilio/voice", params)
                return params, {"X-Twilio-Signature": signature}

            def gather_request(i: int) -> tuple[dict[str, str], dict[str, str]]:
                # Key 2 (radicado status) at the first menu of call i: open or closed hours alike.
                params = {"CallSid": f"CAbench{stamp}{i:08d}", "Digits": "2"}
                signature = validator.compute_signature(f"{base}/channels/twilio/gather?step=1", params)
                return params, {"X-Twilio-Signature": signature}

            def hello_request(i: int) -> tuple[dict[str, str], dict[str, str]]:
                return {"CallSid": f"CA{i}"}, {}

            await _load(
                f"http://127.0.0.1:{port}/channels/twilio/voice", twilio_request, rate, 0.5
            )  # warm-up
            hello = _figures(
                await _load(f"http://127.0.0.1:{hello_port}/hello", hello_request, rate, seconds)
            )
            twilio = _figures(
                await _load(f"http://127.0.0.1:{port}/channels/twilio/voice", twilio_request, rate, seconds)
            )
            gather_url = f"http://127.0.0.1:{port}/channels/twilio/gather?step=1"
            gather = _figures(await _load(gather_url, gather_request, rate, seconds))
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)
            await runner.cleanup()
            await hello_runner.cleanup()
    backend = "postgresql" if database_url and "postgres" in database_url else "sqlite"
    return {
        "backend": backend,
        "rate_per_s": rate,
        "seconds": seconds,
        "hello": hello,
        "twilio_voice": twilio,
        "twilio_gather": gather,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_twilio", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a second at 50 requests/s")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    rate, seconds = (50.0, 1.0) if args.quick else (args.rate, args.seconds)
    result = asyncio.run(run(rate, seconds, args.database_url))
    twilio, hello, gather = result["twilio_voice"], result["hello"], result["twilio_gather"]
    verdict = "met" if max(twilio["p99_ms"], gather["p99_ms"]) <= TARGET_P99_MS else "NOT met"
    print(f"Twilio /voice webhook at {rate:.0f} req/s for {seconds:.0f} s on {result['backend']}:")
    print(f"  hello-world route: p50 {hello['p50_ms']} ms, p99 {hello['p99_ms']} ms"
          f" ({hello['cpu_ms_per_request']} ms CPU per request)")  # fmt: skip
    print(f"  /channels/twilio/voice: p50 {twilio['p50_ms']} ms, p99 {twilio['p99_ms']} ms "
          f"(target p99 <= {TARGET_P99_MS:.0f} ms: {verdict}); "
          f"{twilio['cpu_ms_per_request']} ms CPU per new call")  # fmt: skip
    print(f"  /channels/twilio/gather: p50 {gather['p50_ms']} ms, p99 {gather['p99_ms']} ms"
          f" ({gather['cpu_ms_per_request']} ms CPU per request)")  # fmt: skip
    print("  (CPU is this process's: server and load generator; the hello row is the generator's share)")
    print(f"  machine load average (1 min) after the run: {result['load_average_1m']}")
    print(json.dumps({"bench": "twilio", **result, "target_p99_ms": TARGET_P99_MS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
