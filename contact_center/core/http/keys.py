"""Typed application keys: the composition root puts each shared object here, handlers read them."""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from contact_center.core.clock import Clock
from contact_center.core.config import Settings
from contact_center.core.jobs.port import Jobs
from contact_center.core.notifier import Notifier
from contact_center.core.uow import UnitOfWorkFactory

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
UOW = web.AppKey("uow", UnitOfWorkFactory)
REDIS = web.AppKey("redis", Redis)  # present only when REDIS_URL is set
SIO = web.AppKey("sio", socketio.AsyncServer)
NOTIFIER = web.AppKey("notifier", Notifier)
METRICS = web.AppKey("metrics", CollectorRegistry)
SERVICES = web.AppKey("services", dict[str, Any])
JOBS = web.AppKey("jobs", Jobs)  # the background jobs port (contact_center.jobs)
