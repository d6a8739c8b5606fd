"""The officials' workspace pages: the Vue console (/agents) and wallboard (/supervisor), built by
Vite into `agents_ui/dist` (by `scripts/setup`), and Spanish HTML error pages for browsers.

The built HTML is served with the same strict CSP as every page (scripts and styles from 'self');
hashed assets are cached for a year, the HTML never.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from agents_ui.pages import CSP, render
from contact_center.core.http.api import Handler

DIST = Path(__file__).resolve().parent / "dist"
ASSETS = DIST / "assets"
routes = web.RouteTableDef()
_NOT_PAGES = ("/api/", "/socket.io", "/static/", "/health", "/metrics")
_TITLES = {
    404: ("Página no encontrada", "La dirección que buscó no existe o cambió."),
    405: ("Acción no permitida", "Esta página no admite esa acción."),
    413: ("Archivo demasiado grande", "El contenido enviado supera el tamaño permitido."),
    429: ("Demasiadas solicitudes", "Espere un momento e intente de nuevo."),
}


def _built(name: str) -> web.Response:
    path = DIST / name
    if not path.is_file():
        raise web.HTTPServiceUnavailable(
            text="La consola no está construida: ejecute scripts/setup.", content_type="text/plain"
        )
    return web.Response(
        text=path.read_text(encoding="utf-8"),
        content_type="text/html",
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


@routes.get("/agents")
async def console_page(request: web.Request) -> web.Response:
    return _built("console.html")


@routes.get("/supervisor")
async def wallboard_page(request: web.Request) -> web.Response:
    return _built("wallboard.html")


@routes.get("/static/app/assets/{name}")
async def asset(request: web.Request) -> web.FileResponse:
    path = (ASSETS / request.match_info["name"]).resolve()
    if path.parent != ASSETS or not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(
        path,
        headers={"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
    if path.suffix == ".js":
        response.content_type = "text/javascript"
    return response


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A browser asking for a page gets a Spanish HTML error page; the API keeps its JSON errors."""
    response = await handler(request)
    wants_html = "text/html" in request.headers.get("Accept", "")
    if response.status < 400 or not wants_html or request.path.startswith(_NOT_PAGES):
        return response
    if response.content_type == "text/html":
        return response  # a page that answers its own error (the portal form with its fields marked)
    title, text = _TITLES.get(response.status, ("Algo salió mal", "No pudimos atender su solicitud."))
    page = render("error.html", status=response.status, title=title, text=text)
    page.set_status(response.status)
    return page
