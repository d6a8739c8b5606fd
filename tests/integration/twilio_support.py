"""Helpers of the Twilio tests: requests signed by twilio's own RequestValidator, TwiML parsing, a
stand-in for Twilio's REST API and the app's `line` fixtures (each runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration.router_support import parts
from tests.support import twiml_rules
from tests.support.chat_clients import close_all, seed_before_start

TOKEN = "twilio-test-auth-token"
BASE = "http://testserver.local"
CALL_SID = "CA0123456789abcdef0123456789abcdef"
CALLER = "+573001234567"


def signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


async def post(
    client: TestClient[Any, Any],
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signed: bool = True,
) -> Any:
    """POST like Twilio does: form-encoded, signed over PUBLIC_BASE_URL + path + query."""
    path = path.removeprefix(BASE)
    headers = {"X-Twilio-Signature": signature(BASE + path, params, token)} if signed else {}
    return await client.post(path, data=params, headers=headers)


async def twiml(client: TestClient[Any, Any], path: str, params: dict[str, str]) -> ET.Element:
    resp = await post(client, path, params)
    body = await resp.text()
    assert resp.status == 200, body
    assert resp.content_type == "application/xml"
    # Every document the line sends obeys Twilio's verb rules for where it runs (tests/support).
    return twiml_rules.check(body, context_of(path))


def context_of(path: str) -> twiml_rules.Context:
    """Where Twilio runs the answer of this webhook: a waitUrl document (or a Gather's action inside
    one, marked `in_queue=1`) or the call's own document."""
    path = path.removeprefix(BASE)
    return "wait" if path.startswith("/channels/twilio/queue-wait") or "in_queue=1" in path else "top"


def said(element: ET.Element) -> str:
    """Everything spoken under an element, digits of <say-as> included, in order."""
    return " ".join(" ".join(say.itertext()).strip() for say in element.iter("Say"))


def step_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["step"][0])


def call_params(sid: str = CALL_SID, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": "AC0000", "From": CALLER, "To": "+576027333195", **extra}


@asynccontextmanager
async def messages_api(create: Callable[[web.Request], Awaitable[web.Response]]) -> AsyncIterator[str]:
    """A stand-in for Twilio's Messages resource, answering every message POSTed with `create`,
    served on a free local port while the block runs: its base URL (TWILIO_API_BASE)."""
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


# Twilio's answer to a call it will not place (HTTP 400, its error JSON), e.g. a country not enabled.
GEO_REFUSAL = {
    "code": 21215,
    "message": f"Account not authorized to call {CALLER}. Perhaps you need to enable some international "
    "permissions: https://www.twilio.com/console/voice/calls/geo-permissions/low-risk",
    "more_info": "https://www.twilio.com/docs/errors/21215",
    "status": 400,
}


class TwilioRest:
    """A stand-in for Twilio's Calls resource: records every update and creation the client POSTs.

    Errors put in `refusals` answer the next creations in turn (HTTP `status` with Twilio's error
    JSON) and those requests go to `refused` instead of `created`. `before_answer`, when set, is
    awaited with each created call before its creation is answered."""

    ACCOUNT = "AC00000000000000000000000000000195"

    def __init__(self) -> None:
        self.updates: list[dict[str, str]] = []
        self.created: list[dict[str, str]] = []
        self.refusals: list[dict[str, Any]] = []
        self.refused: list[dict[str, str]] = []
        self.update_status = 200  # another status: every call update is refused with it
        self.before_update: Callable[[dict[str, str]], Awaitable[None]] | None = None
        self.before_answer: Callable[[dict[str, str]], Awaitable[None]] | None = None
        self.base = ""
        self._runner: Any = None

    async def start(self) -> TwilioRest:
        async def update(request: web.Request) -> web.Response:
            form = {k: str(v) for k, v in (await request.post()).items()}
            self.updates.append({"CallSid": request.match_info["call"], **form})
            if self.before_update is not None:
                await self.before_update(self.updates[-1])
            if self.update_status != 200:
                error = {"code": 20500, "message": "Internal Server Error", "status": self.update_status}
                return web.json_response(error, status=self.update_status)
            return web.json_response({"sid": request.match_info["call"], "status": "in-progress"})

        async def create(request: web.Request) -> web.Response:
            form = {k: str(v) for k, v in (await request.post()).items()}
            if self.refusals:
                self.refused.append(form)
                error = self.refusals.pop(0)
                return web.json_response(error, status=int(error["status"]))
            sid = f"CAcallback{len(self.created):022d}"
            self.created.append({"sid": sid, **form})
            if self.before_answer is not None:
                await self.before_answer(self.created[-1])
            return web.json_response({"sid": sid, "status": "queued"}, status=201)

        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls/{call}.json", update)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", create)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        await self._runner.cleanup()

    def settings(self) -> dict[str, str]:
        return {"twilio_auth_token": TOKEN, "twilio_account_sid": self.ACCOUNT,
                "twilio_from_number": "+576027333195", "twilio_api_base": self.base}  # fmt: skip


@pytest.fixture
async def rest() -> AsyncIterator[TwilioRest]:
    """The REST stand-in, running: a test module takes it with `rest = twilio_support.rest`."""
    standin = await TwilioRest().start()
    yield standin
    await standin.close()


def seeded_line(*, reload_router: bool = False) -> Any:
    """A module's `line` fixture (`line = seeded_line()`): the app with Twilio's auth token, the demo
    city seeded after start; `reload_router` when the test queues calls, so that the running router
    reads the seeded queues."""

    @pytest.fixture
    async def line(
        backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
    ) -> TestClient[Any, Any]:
        client = await make_client(make_settings(twilio_auth_token=TOKEN))
        async with client.app[UOW]() as uow:
            await seed_demo(uow)
        if reload_router:
            await parts(client).reload()
        return client

    return line


def rest_line(**overrides: Any) -> Any:
    """A module's `line` fixture (`line = rest_line(...)`) for calls that reach Twilio's REST API: the
    app on the `rest` stand-in with `overrides` to its settings, the demo city seeded before start;
    the socket.io peers a test opened are disconnected before the app stops."""

    @pytest.fixture
    async def line(
        backend: str, rest: TwilioRest, make_client: AppFactory, make_settings: Callable[..., Settings]
    ) -> AsyncIterator[TestClient[Any, Any]]:
        settings = make_settings(**rest.settings(), **overrides)
        await seed_before_start(settings)
        yield await make_client(settings)
        await close_all()

    return line
