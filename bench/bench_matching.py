"""Benchmark of the routing core's single decisions against the naive scan, in the same run.

    .venv/bin/python -m bench.bench_matching            # 1,000 officials, 40 skills, 10,000 items
    .venv/bin/python -m bench.bench_matching --quick    # tiny sizes, well under 2 s
    .venv/bin/python -m bench.bench_matching --check    # exit 1 if a full-size target is missed

Decisions measured (the core fires no timer during them: `now` stays put):

* match_official: an away official becomes available (untimed `official_changed`), then which
  waiting item do they get? Afterwards they go away again, so every sample sees the same queue.
* match_item: a new item arrives (its `item_arrived` is timed separately), then which official?
  Afterwards it is removed again.

The target: p99 <= 100 us per decision and >= 10x faster than the naive scan.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from routing.core import (
    CallbackStep,
    Channel,
    OfficialSnapshot,
    OverflowStep,
    Presence,
    QueueConfig,
    RelaxStep,
    RoutingConfig,
    RoutingCore,
    WorkItem,
)
from routing.naive import naive_match_item, naive_match_official
from routing.priority import Art20Flag, LegalUrgency

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TARGET_P99_US = 100.0
TARGET_SPEEDUP = 10.0
CAPACITY = {Channel.VOICE: 1, Channel.CHAT: 3, Channel.APP: 3, Channel.PQRD: 10}
CHANNEL_WEIGHTS = {Channel.VOICE: 2, Channel.CHAT: 4, Channel.APP: 2, Channel.PQRD: 2}


@dataclass(frozen=True)
class Sizes:
    officials: int
    skills: int
    items: int
    queues: int
    core_samples: int
    naive_samples: int


FULL = Sizes(officials=1_000, skills=40, items=10_000, queues=20, core_samples=3_000, naive_samples=150)
QUICK = Sizes(officials=40, skills=8, items=200, queues=4, core_samples=200, naive_samples=20)


# Building the city ---------------------------------------------------------------------------


def build_queues(rng: random.Random, sizes: Sizes) -> tuple[QueueConfig, ...]:
    skills = [f"skill{n:02d}" for n in range(sizes.skills)]
    ids = [f"queue{n:02d}" for n in range(sizes.queues)]
    queues = []
    for queue_id in ids:
        required = {name: rng.randint(3, 8) for name in rng.sample(skills, rng.randint(1, 3))}
        steps = (
            RelaxStep(after_seconds=30, to_level=3),
            OverflowStep(after_seconds=120, target_queue_id=rng.choice([q for q in ids if q != queue_id])),
            RelaxStep(after_seconds=180, to_level=1),
            CallbackStep(after_seconds=600),
        )
        queues.append(
            QueueConfig(queue_id=queue_id, required_skills=required, priority=rng.randint(0, 20), steps=steps)
        )
    return tuple(queues)


def official_snapshot(rng: random.Random, sizes: Sizes, n: int, presence: Presence) -> OfficialSnapshot:
    skills = [f"skill{k:02d}" for k in range(sizes.skills)]
    known = rng.sample(skills, min(len(skills), rng.randint(6, 14)))
    return OfficialSnapshot(
        official_id=f"official{n:04d}",
        skills={name: rng.randint(1, 10) for name in known},
        capacity=CAPACITY,
        load={channel: rng.randint(0, cap - 1) for channel, cap in CAPACITY.items()},
        presence=presence,
        idle_since=NOW - timedelta(seconds=rng.uniform(0, 3_600)),
    )


def work_item(rng: random.Random, queues: Sequence[QueueConfig], n: int, waited: float) -> WorkItem:
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    urgency = None
    if channel is Channel.PQRD:
        flags = frozenset(rng.sample(list(Art20Flag), rng.choice([0, 0, 0, 1])))
        urgency = LegalUrgency(flags, rng.randint(-1, 15), rng.uniform(0, 1.1))
    return WorkItem(
        item_id=f"item{n:06d}",
        queue_id=rng.choice(queues).queue_id,
        channel=channel,
        enqueued_at=NOW - timedelta(seconds=waited),
        urgency=urgency,
    )


def build_core(rng: random.Random, sizes: Sizes) -> tuple[RoutingCore, list[OfficialSnapshot]]:
    """The core at NOW, plus the away officials who will "become available" one at a time."""
    queues = build_queues(rng, sizes)
    core = RoutingCore(RoutingConfig(queues=queues))
    returning = []
    for n in range(sizes.officials):
        presence = Presence.AWAY if n % 10 == 0 else Presence.AVAILABLE
        snapshot = official_snapshot(rng, sizes, n, presence)
        core.official_changed(snapshot, NOW)
        if presence is Presence.AWAY:
            returning.append(snapshot)
    # Arrivals spread over the last 15 minutes, so items sit at every stage of their queues.
    items = [work_item(rng, queues, n, rng.uniform(0, 900)) for n in range(sizes.items)]
    for item in sorted(items, key=lambda item: item.enqueued_at):
        core.item_arrived(item, NOW)
    core.step_timer(NOW)
    return core, returning


# Measuring ----------------------------------------------------------------------------------------


def time_official_decisions(
    core: RoutingCore,
    returning: Sequence[OfficialSnapshot],
    decide: Callable[[RoutingCore, str, datetime], str | None],
    samples: int,
) -> list[float]:
    durations = []
    for n in range(samples):
        away = returning[n % len(returning)]
        core.official_changed(away.model_copy(update={"presence": Presence.AVAILABLE}), NOW)
        started = time.perf_counter_ns()
        decide(core, away.official_id, NOW)
        durations.append((time.perf_counter_ns() - started) / 1_000)
        core.official_changed(away, NOW)
    return durations


def time_item_decisions(
    core: RoutingCore,
    new_items: Sequence[WorkItem],
    decide: Callable[[RoutingCore, str, datetime], str | None],
) -> tuple[list[float], list[float]]:
    arrivals, decisions = [], []
    for item in new_items:
        started = time.perf_counter_ns()
        core.item_arrived(item, NOW)
        arrived = time.perf_counter_ns()
        decide(core, item.item_id, NOW)
        decided = time.perf_counter_ns()
        core.item_removed(item.item_id, NOW)
        arrivals.append((arrived - started) / 1_000)
        decisions.append((decided - arrived) / 1_000)
    return arrivals, decisions


def core_match_official(core: RoutingCore, official_id: str, now: datetime) -> str | None:
    return core.match_official(official_id, now)


def core_match_item(core: RoutingCore, item_id: str, now: datetime) -> str | None:
    return core.match_item(item_id, now)


def percentile(durations: Sequence[float], p: float) -> float:
    ordered = sorted(durations)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(durations: Sequence[float]) -> dict[str, float]:
    return {
        "p50_us": round(percentile(durations, 50), 2),
        "p99_us": round(percentile(durations, 99), 2),
        "n": len(durations),
    }


def run(sizes: Sizes, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    core, returning = build_core(rng, sizes)
    queues = core.config.queues
    fresh = [work_item(rng, queues, sizes.items + n, 0.0) for n in range(sizes.core_samples)]
    gc.collect()
    results: dict[str, dict[str, dict[str, float]]] = {}
    core_official = time_official_decisions(core, returning, core_match_official, sizes.core_samples)
    naive_official = time_official_decisions(core, returning, naive_match_official, sizes.naive_samples)
    arrivals, core_item = time_item_decisions(core, fresh, core_match_item)
    _, naive_item = time_item_decisions(core, fresh[: sizes.naive_samples], naive_match_item)
    results["match_official"] = {"core": summary(core_official), "naive": summary(naive_official)}
    results["match_item"] = {"core": summary(core_item), "naive": summary(naive_item)}
    results["item_arrived"] = {"core": summary(arrivals)}
    return {"sizes": sizes.__dict__, "seed": seed, "decisions": results}


def speedups(report: dict[str, object]) -> dict[str, float]:
    decisions = report["decisions"]
    assert isinstance(decisions, dict)
    return {
        name: round(figures["naive"]["p50_us"] / figures["core"]["p50_us"], 1)
        for name, figures in decisions.items()
        if "naive" in figures
    }


def meets_targets(report: dict[str, object], ratio: dict[str, float]) -> bool:
    decisions = report["decisions"]
    assert isinstance(decisions, dict)
    fast = all(decisions[name]["core"]["p99_us"] <= TARGET_P99_US for name in ratio)
    return fast and all(value >= TARGET_SPEEDUP for value in ratio.values())


def print_table(report: dict[str, object], ratio: dict[str, float]) -> None:
    decisions = report["decisions"]
    assert isinstance(decisions, dict)
    print(f"{'decision':<16}{'impl':<7}{'p50 µs':>10}{'p99 µs':>10}{'n':>7}{'speedup p50':>13}")
    for name, figures in decisions.items():
        for impl, stats in figures.items():
            shown = f"{ratio[name]:.1f}x" if impl == "core" and name in ratio else ""
            print(
                f"{name:<16}{impl:<7}{stats['p50_us']:>10.2f}{stats['p99_us']:>10.2f}{stats['n']:>7}{shown:>13}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--seed", type=int, default=195)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    report = run(sizes, args.seed)
    ratio = speedups(report)
    ok = meets_targets(report, ratio)
    report |= {
        "speedup_p50": ratio,
        "targets": {"p99_us": TARGET_P99_US, "speedup": TARGET_SPEEDUP, "met": ok},
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
    }
    print_table(report, ratio)
    print(json.dumps(report, sort_keys=True))
    return 1 if args.check and not args.quick and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
