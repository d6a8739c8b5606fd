"""Operational routes: health, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel

from contact_center.core.db.engine import ping
from contact_center.core.http import job_metrics
from contact_center.core.http.api import ROUTE_SPECS, ApiRoutes, Handler, RouteSpec
from contact_center.core.http.keys import ENGINE, METRICS, REDIS
from contact_center.core.http.openapi import build_document

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
api = ApiRoutes()


class Health(BaseModel):
    status: str
    database: str
    redis: str


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    database = "ok"
    try:
        await ping(request.app[ENGINE])
    except Exception:
        log.exception("health_database_failed")
        database = "error"
    redis_state = "disabled"
    if REDIS in request.app:
        try:
            await request.app[REDIS].ping()
            redis_state = "ok"
        except Exception:
            log.exception("health_redis_failed")
            redis_state = "error"
    ok = database == "ok" and redis_state != "error"
    body = Health(status="ok" if ok else "degraded", database=database, redis=redis_state)
    return web.json_response(body.model_dump(), status=200 if ok else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    await job_metrics.refresh(request.app)  # job queues and due escalations, read at scrape time
    return web.Response(
        body=generate_latest(request.app[METRICS]), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    specs: list[RouteSpec] = request.app[ROUTE_SPECS]
    document = build_document(specs, title="Pasto 195 API", version="1")
    return web.json_response(document)


class HttpMetrics:
    """Request counters and latency histograms, registered on the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            self.requests.labels(request.method, route, str(status)).inc()
            self.latency.labels(request.method, route).observe(time.perf_counter() - started)
