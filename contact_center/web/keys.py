"""Typed application keys: the composition root puts each shared object here, handlers read them."""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from contact_center.config import Settings
from contact_center.domain.clock import Clock
from contact_center.jobs.port import Jobs
from contact_center.services.notifier import Notifier
from contact_center.services.uow import UnitOfWorkFactory
from contact_center.web.api import RouteSpec
from routing.engine import RoutingEngine
from routing.service import RouterService

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
UOW = web.AppKey("uow", UnitOfWorkFactory)
REDIS = web.AppKey("redis", Redis)  # present only when REDIS_URL is set
SIO = web.AppKey("sio", socketio.AsyncServer)
NOTIFIER = web.AppKey("notifier", Notifier)
METRICS = web.AppKey("metrics", CollectorRegistry)
ROUTE_SPECS = web.AppKey("route_specs", list[RouteSpec])
SERVICES = web.AppKey("services", dict[str, Any])
JOBS = web.AppKey("jobs", Jobs)  # the background jobs port (contact_center.jobs)
ROUTER = web.AppKey("router", RouterService)  # the skills-based router (routing.service)
ROUTING_ENGINE = web.AppKey("routing_engine", RoutingEngine)  # this process's routing engine
