"""Typed application keys of the routing feature (the kernel's are in `contact_center.core.http.keys`)."""

from __future__ import annotations

from aiohttp import web

from routing.engine import RoutingEngine
from routing.service import RouterService

ROUTER = web.AppKey("router", RouterService)  # the skills-based router (routing.service)
ROUTING_ENGINE = web.AppKey("routing_engine", RoutingEngine)  # this process's routing engine
