"""What the composition root calls to plug the trámites catalogue in: its API routes (declared, so
they are in the OpenAPI document), its portal pages and its IVR host lookups."""

from __future__ import annotations

from aiohttp import web

from contact_center.core.http.api import ROUTE_SPECS
from contact_center.tramites import http

ROUTES = http.routes


def install_tramites(app: web.Application) -> None:
    ROUTES.add_to(app)
    app[ROUTE_SPECS].extend(ROUTES.specs)
    from contact_center.tramites import portal, voice

    portal.install(app)
    voice.install(app)
