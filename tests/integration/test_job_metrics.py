"""/metrics shows the background work an operator must watch (issue 17): jobs queued, started and failed
per queue (RQ's registries, or the in-process runner's counts) and escalations due but not fired, with
the age of the oldest."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.core.jobs.rq_jobs import RqJobs
from contact_center.pqrd.services.escalation import ESCALATE_JOB
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration import test_jobs_rq
from tests.integration.escalation_support import file_salud_ticket
from tests.integration.test_jobs_rq import PrivateRedis

private_redis = test_jobs_rq.private_redis


def _gauge(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{name}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    assert match is not None, f"{name}{labels} not in /metrics"
    return float(match.group(1))


async def _scrape(client: TestClient[Any, Any]) -> str:
    resp = await client.get("/metrics")
    assert resp.status == 200
    return await resp.text()


async def test_metrics_show_escalations_due_but_not_fired_and_the_inline_jobs(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await make_client(make_settings(escalation_sweep_seconds=3600))  # no sweep during the test
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    text = await _scrape(client)
    assert _gauge(text, "pasto195_escalations_due") == 0
    assert _gauge(text, "pasto195_escalation_oldest_due_seconds") == 0
    ticket_id = await file_salud_ticket(client.app[UOW], None)
    assert ticket_id
    clock.advance(days=30)  # every point passed, and no sweep has run: the worker "is down"
    text = await _scrape(client)
    assert _gauge(text, "pasto195_escalations_due") == 1
    # The first point (the forwarding deadline, 30 November at 08:00) is days old.
    assert _gauge(text, "pasto195_escalation_oldest_due_seconds") > 20 * 86400
    for state in ("queued", "started", "failed"):
        assert _gauge(text, "pasto195_jobs", f'{{queue="inline",state="{state}"}}') >= 0


async def test_metrics_show_rq_queue_depth(
    backend: str,
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    private_redis: PrivateRedis,
) -> None:
    settings = make_settings(redis_url=private_redis.url, jobs="rq")
    client = await make_client(settings)
    text = await _scrape(client)
    assert _gauge(text, "pasto195_jobs", '{queue="default",state="queued"}') == 0
    jobs = RqJobs(settings)
    for n in range(3):  # no worker runs: they wait
        assert jobs.enqueue_sync(ESCALATE_JOB, (n, 1), f"esc:{n}:1")
    text = await _scrape(client)
    assert _gauge(text, "pasto195_jobs", '{queue="default",state="queued"}') == 3
    assert _gauge(text, "pasto195_jobs", '{queue="default",state="started"}') == 0
    assert _gauge(text, "pasto195_jobs", '{queue="default",state="failed"}') == 0
