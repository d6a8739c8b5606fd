"""AMI throughput: captured events parsed and dispatched per second through ``AmiClient``.

The real Asterisk 22 capture is replayed in a loop by the simulated Asterisk (``tests.asterisk_peer``)
over a loopback TCP socket; every event crosses panoramisk's framing, our parser and the ordered
delivery into the sinks. The sink is pluggable so a later step can measure events *applied* to
conversations and statistics: ``--sink package.module:factory`` where ``factory()`` returns a
handler ``(CallEvent) -> None | Awaitable[None]``.

    .venv/bin/python -m bench.bench_ami [--quick] [--events N] [--sink mod:factory]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass

from channels.asterisk.ami import AmiClient
from channels.asterisk.config import AmiConfig
from channels.asterisk.events import CallEvent
from tests.asterisk_peer import AmiPeer

Sink = Callable[[CallEvent], Awaitable[None] | None]
TARGET_PER_S = 5_000


@dataclass(frozen=True)
class BenchResult:
    events: int
    typed_events: int
    loops: int
    seconds: float
    events_per_s: float
    typed_per_s: float
    handler_errors: int
    sink: str


class CountingSink:
    """The default sink: counts typed events, so the figure is parse + dispatch only."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, event: CallEvent) -> None:
        self.count += 1


async def run(events: int, sink: Sink | None = None, sink_name: str = "count") -> BenchResult:
    async with AmiPeer() as peer:
        config = AmiConfig(
            host="127.0.0.1", port=peer.port, username=peer.username, secret=peer.secret,
            ping_interval=30.0,
        )  # fmt: skip
        client = AmiClient(config)
        client.subscribe(sink or CountingSink())
        await client.start()
        try:
            await client.wait_connected(5.0)
            await _replay(peer, client, 1)  # warm-up: first-use costs are not throughput
            before = (client.stats.received, client.stats.typed)
            loops = max(1, math.ceil(events / len(peer.capture.events)))
            started = time.perf_counter()
            await _replay(peer, client, loops)
            seconds = time.perf_counter() - started
        finally:
            await client.close()
    delivered = client.stats.received - before[0]
    typed = client.stats.typed - before[1]
    return BenchResult(
        events=delivered, typed_events=typed, loops=loops, seconds=round(seconds, 4),
        events_per_s=round(delivered / seconds), typed_per_s=round(typed / seconds),
        handler_errors=client.stats.handler_errors, sink=sink_name,
    )  # fmt: skip


async def _replay(peer: AmiPeer, client: AmiClient, loops: int) -> None:
    target = client.stats.received + loops * len(peer.capture.events)
    for _ in range(loops):
        await peer.replay()
    while client.stats.received < target:  # noqa: ASYNC110 - the reader owns no event to wait on
        await asyncio.sleep(0.001)
    await client.drained()


def _load_sink(spec: str) -> Sink:
    module, _, name = spec.partition(":")
    factory = getattr(importlib.import_module(module), name)
    sink: Sink = factory()
    return sink


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_ami", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 20,000 events (< 3 s)")
    parser.add_argument("--events", type=int, help="events to replay (default 200,000)")
    parser.add_argument("--sink", help="module:factory returning the event handler to measure")
    args = parser.parse_args(argv)
    events = args.events or (20_000 if args.quick else 200_000)
    sink = _load_sink(args.sink) if args.sink else None
    result = asyncio.run(run(events, sink, args.sink or "count"))
    verdict = "met" if result.events_per_s >= TARGET_PER_S else "NOT met"
    print(f"AMI events replayed over loopback TCP: {result.events} in {result.seconds:.3f} s")
    print(f"  parsed + dispatched: {result.events_per_s:,} events/s (target {TARGET_PER_S:,}: {verdict})")
    print(f"  typed call events:   {result.typed_per_s:,} /s ({result.typed_events} of them)")
    print(json.dumps({"bench": "ami", **asdict(result), "target_per_s": TARGET_PER_S}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
