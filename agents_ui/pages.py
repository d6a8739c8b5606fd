"""The pages of the console, the dashboard and the citizen chat, and the files they load.

The citizen chat: plain HTML from Jinja2 templates (autoescape on) and plain ES modules (the console
and the wallboard are the Vue application of `agents_ui.app_pages`); socket.io-client, uPlot and the
Twilio Voice SDK are served from the project's `node_modules` (installed from the npm lockfile), never
from a CDN.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from contact_center.chat.services.conversations import TOPICS
from contact_center.citizens.domain import PRIVACY_NOTICE, PRIVACY_NOTICE_VERSION
from contact_center.core.http.keys import SETTINGS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STATIC = HERE / "static"
VENDOR = {
    "socket.io.min.js": ROOT / "node_modules/socket.io-client/dist/socket.io.min.js",
    "uPlot.iife.min.js": ROOT / "node_modules/uplot/dist/uPlot.iife.min.js",
    "uPlot.min.css": ROOT / "node_modules/uplot/dist/uPlot.min.css",
    # The Twilio Voice SDK (npm @twilio/voice-sdk): the officials' softphone (static/softphone.js).
    "twilio.min.js": ROOT / "node_modules/@twilio/voice-sdk/dist/twilio.min.js",
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
)
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
)
routes = web.RouteTableDef()


def render(template: str, csp: str = CSP, **context: object) -> web.Response:
    body = _env.get_template(template).render(**context)
    return web.Response(
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"},
    )


def framable_by(origins: list[str]) -> str:
    """CSP letting these other sites frame the page too (ALLOWED_ORIGINS, validated as bare origins)."""
    return CSP.replace("frame-ancestors 'self'", " ".join(["frame-ancestors 'self'", *origins]))


@routes.get("/portal/chat")
async def chat_page(request: web.Request) -> web.Response:
    # The only page the widget frames on the city portal; the console and dashboard stay 'self'.
    return render(
        "chat.html",
        csp=framable_by(request.app[SETTINGS].embedding_origins()),
        topics=TOPICS,
        notice=PRIVACY_NOTICE,
        notice_version=PRIVACY_NOTICE_VERSION,
        offer_pqrd_after=request.app[SETTINGS].chat_offer_pqrd_after_seconds,
    )


@routes.get("/portal/chat/widget.js")
async def widget(request: web.Request) -> web.FileResponse:
    return _file(STATIC / "widget.js")


@routes.get("/static/ui/{name}")
async def static_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file():
        raise web.HTTPNotFound()
    return _file(path)


@routes.get("/static/vendor/{name}")
async def vendor_file(request: web.Request) -> web.FileResponse:
    path = VENDOR.get(request.match_info["name"])
    if path is None or not path.is_file():
        raise web.HTTPNotFound()
    return _file(path)


def _file(path: Path) -> web.FileResponse:
    response = web.FileResponse(
        path, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    )
    if path.suffix == ".js":
        response.content_type = "text/javascript"
    return response
