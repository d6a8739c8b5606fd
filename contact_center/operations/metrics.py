"""Health gauges for alerting (deploy/prometheus/alerts.yml), refreshed when /metrics is scraped.

    pasto195_database_up                       1 when a query answers, else 0
    pasto195_redis_up                          1 when Redis answers PING, else 0 (only with REDIS_URL)
    pasto195_ami_link_up                       1 while the AMI link is up, else 0 (only with AMI_HOST)
    pasto195_queue_waiting{queue}              live contacts (calls, chats, app) waiting in the queue
    pasto195_queue_oldest_wait_seconds{queue}  how long the oldest of them has waited
    pasto195_queue_wait_target_seconds{queue}  the queue's service-level threshold (sl_threshold_seconds)

PQRD tickets waiting in a queue are not counted: they wait days by design, on the legal clock.
Every `serve` process reports the same database figures; aggregate them with max() in rules.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import func, select

from contact_center.core.db.engine import ping
from contact_center.core.db.models import Queue
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.http.api import Handler
from contact_center.core.http.keys import CLOCK, ENGINE, METRICS, REDIS, SERVICES, SETTINGS, UOW

log = logging.getLogger(__name__)
_GAUGES = "ops_metrics.gauges"


def install_ops_metrics(app: web.Application) -> None:
    registry = app[METRICS]
    queue = ["queue"]
    gauges = {
        "database": Gauge("pasto195_database_up", "1 when the database answers a query", registry=registry),
        "waiting": Gauge("pasto195_queue_waiting", "Live contacts waiting", queue, registry=registry),
        "oldest": Gauge(
            "pasto195_queue_oldest_wait_seconds", "Wait of the oldest live contact", queue, registry=registry
        ),
        "target": Gauge(
            "pasto195_queue_wait_target_seconds", "Queue's service-level threshold", queue, registry=registry
        ),
    }
    if app[SETTINGS].redis_url:
        gauges["redis"] = Gauge("pasto195_redis_up", "1 when Redis answers PING", registry=registry)
    if app[SETTINGS].ami_host:
        gauges["ami"] = Gauge("pasto195_ami_link_up", "1 while the AMI link is up", registry=registry)
    app[SERVICES][_GAUGES] = gauges
    # Outermost: with the database down the inner /metrics middlewares (outbound counts) fail, and
    # a failed scrape would hide *why*; this one then answers with the gauges saying so.
    app.middlewares.insert(0, _refresh_on_scrape)


@web.middleware
async def _refresh_on_scrape(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/metrics":
        gauges: dict[str, Gauge] = request.app[SERVICES][_GAUGES]
        database_up = await _database_up(request.app)
        gauges["database"].set(database_up)
        if database_up:
            try:
                await _queues(request.app, gauges)
            except Exception:  # the database went away between the ping and the query
                log.warning("metrics_queues_failed", exc_info=True)
        if "redis" in gauges:
            gauges["redis"].set(await _redis_up(request.app))
        if "ami" in gauges:
            gauges["ami"].set(_ami_up(request.app))
        if not database_up:
            body = generate_latest(request.app[METRICS])
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
    return await handler(request)


async def _database_up(app: web.Application) -> int:
    try:
        await ping(app[ENGINE])
    except Exception:
        log.warning("metrics_database_down", exc_info=True)
        return 0
    return 1


async def _redis_up(app: web.Application) -> int:
    try:
        await app[REDIS].ping()
    except Exception:
        log.warning("metrics_redis_down", exc_info=True)
        return 0
    return 1


def _ami_up(app: web.Application) -> int:
    from channels.asterisk.install import ASTERISK  # the voice feature owns the link

    line = app.get(ASTERISK)
    return int(line is not None and line.ami is not None and line.ami.connected)


async def _queues(app: web.Application, gauges: dict[str, Gauge]) -> None:
    now = app[CLOCK].now()
    async with app[UOW]() as uow:
        queues = (await uow.session.execute(select(Queue.id, Queue.code, Queue.sl_threshold_seconds))).all()
        rows = await uow.session.execute(
            select(WorkItem.queue_id, func.count(), func.min(WorkItem.enqueued_at))
            .where(WorkItem.status == "waiting", WorkItem.kind == "conversation")
            .group_by(WorkItem.queue_id)
        )
        waiting: dict[int, Any] = {queue_id: (count, oldest) for queue_id, count, oldest in rows}
    for queue_id, code, threshold in queues:
        count, oldest = waiting.get(queue_id, (0, None))
        gauges["waiting"].labels(code).set(count)
        gauges["oldest"].labels(code).set(0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()))
        gauges["target"].labels(code).set(threshold)
