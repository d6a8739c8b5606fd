"""A call on the 195 line through Twilio's signed webhooks reaches an official who answers in the
console's softphone (the Twilio Voice SDK from npm), in Debian's chromium.

What is stood in, and only that: Twilio's network side cannot be reached here, so
- Twilio's signalling WebSocket (wss://voice-js.*.twilio.com/signal, the SDK's "PStream") is
  routed by Playwright to a stand-in in this test that answers as Twilio's gateway does: `listen`
  (with the token) -> `connected`, `register` -> `ready` (the Device is then registered), and it
  sends the `invite` Twilio would send when the line's <Dial><Client>official_N</Client> rings
  (an SDP offer made by a second RTCPeerConnection in the browser); it records the SDK's
  `answer` and `hangup`;
- Twilio's REST API (the prompt dequeue) is a closed local port: the redirect fails and the call
  leaves the queue at the next waitUrl fetch, as it would if Twilio refused the redirect;
- the webhooks are posted by this test, signed with twilio's RequestValidator.
- the server runs in a thread of the test on a fixed clock inside the line's business hours.
Everything else is the real app, the real token route, the SDK's own code, the
browser's WebRTC stack (with Chromium's fake microphone)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from playwright.sync_api import Browser, Page, WebSocketRoute, expect, sync_playwright
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from contact_center.app import create_app
from contact_center.core.clock import FakeClock
from contact_center.core.config import load_settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, check_accessibility
from tests.support.server import ServerProcess, free_port

pytestmark = pytest.mark.browser
WAIT = 20_000
AUTH_TOKEN = "twilio-browser-test-auth-token"
KEY_SECRET = "api-key-secret-of-the-195-line-browser-test"
CALL_SID = "CA00000000000000000000000000browser"
CALLER = "+573001234567"
SIGNAL = re.compile(r"wss://voice-js\.[a-z0-9.-]*twilio\.com/signal")
OFFER_SDP = """async () => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("audio", { direction: "sendrecv" });
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
}"""


class Gateway:
    """Twilio's signalling gateway as far as registering and one incoming call go."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.socket: WebSocketRoute | None = None
        self.lock = threading.Lock()

    def attach(self, ws: WebSocketRoute) -> None:
        self.socket = ws
        ws.on_message(lambda message: self.on_message(ws, message))

    def on_message(self, ws: WebSocketRoute, message: str | bytes) -> None:
        msg = json.loads(message)
        with self.lock:
            self.received.append(msg)
        kind, payload = msg.get("type"), msg.get("payload") or {}
        if kind == "listen":
            identity = jwt.decode(payload["token"], options={"verify_signature": False})["grants"]["identity"]
            connected = {"region": "gll", "edge": "roaming", "token": {"identity": identity, "ttl": 3600}}
            ws.send(json.dumps({"type": "connected", "payload": connected, "version": ""}))
        elif kind == "register":
            ws.send(json.dumps({"type": "ready", "payload": {}, "version": ""}))

    def invite(self, call_sid: str, sdp: str) -> None:
        assert self.socket is not None
        params = urllib.parse.urlencode({"CallSid": call_sid, "From": CALLER, "To": "client:official"})
        invite = {"callsid": call_sid, "sdp": sdp, "parameters": {"Params": "", "CallSid": call_sid}}
        invite["parameters"] = dict(urllib.parse.parse_qsl(params))
        self.socket.send(json.dumps({"type": "invite", "payload": invite, "version": ""}))

    def kinds(self) -> list[str]:
        with self.lock:
            return [m.get("type", "") for m in self.received]

    def first(self, kind: str) -> dict[str, Any]:
        with self.lock:
            return next(m for m in self.received if m.get("type") == kind)


# A business day at 10:00 in Pasto (America/Bogota, UTC-5): the line and its queue are open.
OPEN_HOURS = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served from a thread of this process on a fixed clock within the line's hours (the
    IVR's business-hours check reads the app's clock, and the real one may be at night)."""
    data: Path = tmp_path_factory.mktemp("softphone")
    port = free_port()
    env = {
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DATA_DIR": str(data),
        "LOG_FORMAT": "console",
        "SMTP_HOST": "",
    }
    seeded = ServerProcess(env, port=port).run_cli("seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    settings = load_settings(
        database_url="", redis_url=None, data_dir=data, log_format="console", smtp_host=None,
        public_base_url=f"http://127.0.0.1:{port}",
        twilio_auth_token=AUTH_TOKEN,
        twilio_account_sid="AC00000000000000000000000000000195",
        twilio_api_key_sid="SK00000000000000000000000000000195",
        twilio_api_key_secret=KEY_SECRET,
        twilio_twiml_app_sid="AP00000000000000000000000000000195",
        twilio_api_base=f"http://127.0.0.1:{free_port()}",  # nothing listens: REST calls fail fast
    )  # fmt: skip
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(settings, clock=FakeClock(OPEN_HOURS)))

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


def webhook(server: str, hook: str, **params: str) -> ET.Element:
    """POST a webhook as Twilio does (form-encoded, signed over PUBLIC_BASE_URL + path + query)."""
    url = hook if hook.startswith("http") else f"{server}/channels/twilio/{hook}"
    form = {"CallSid": CALL_SID, "AccountSid": "AC00000000000000000000000000000195", "From": CALLER,
            "To": "+576027333195", **params}  # fmt: skip
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), headers={"X-Twilio-Signature": signature}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        body = resp.read().decode()
    return ET.fromstring(body) if body else ET.Element("Response")


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Correo institucional").fill("agente1@demo.pasto.gov.co")
    page.get_by_label("Contraseña").fill("demo-195")
    page.get_by_role("button", name="Ingresar").click()


def test_a_twilio_call_rings_and_is_answered_in_the_console_softphone(server: str, browser: Browser) -> None:
    gateway = Gateway()
    context = browser.new_context(bypass_csp=True, locale="es-CO")
    context.route_web_socket(SIGNAL, gateway.attach)
    agent = context.new_page()
    log_in(agent, f"{server}/agents")
    phone = agent.locator("#telefono-estado")
    # The console fetched its token and the SDK registered the Device with the (stand-in) gateway.
    expect(phone).to_have_text("Teléfono listo para recibir llamadas", timeout=WAIT)
    assert gateway.kinds()[:2] == ["listen", "register"]
    identity = jwt.decode(gateway.first("listen")["payload"]["token"], KEY_SECRET, algorithms=["HS256"])
    identity = identity["grants"]["identity"]
    assert re.fullmatch(r"official_\d+", identity)
    check_accessibility(agent, "softphone-registered")

    # A citizen calls the line and asks for an official (Twilio's webhooks, signed).
    root = webhook(server, "voice")
    root = webhook(server, root.find("Gather").get("action", ""), Digits="0")  # type: ignore[union-attr]
    assert root.find("Enqueue") is not None
    agent.get_by_label("Cambiar a").select_option("available")
    agent.get_by_role("button", name="Aplicar").click()
    offer = agent.locator("li.oferta")
    expect(offer).to_contain_text("Llamada entrante", timeout=WAIT)
    offer.get_by_role("button", name="Aceptar").click()
    expect(agent.locator("article.conversacion")).to_be_visible(timeout=WAIT)
    # The caller leaves the queue and the line dials the softphone's identity.
    assert webhook(server, "queue-wait", QueueTime="30").find("Leave") is not None
    root = webhook(server, "queue-result", QueueResult="leave")
    assert root.findtext("Dial/Client") == identity

    # Twilio rings that identity: the invite reaches the SDK, the official answers in the console.
    sdp = context.new_page().evaluate(OFFER_SDP)
    gateway.invite("CA00000000000000000000000000000leg", sdp)
    expect(phone).to_contain_text(f"Llamada entrante de {CALLER}", timeout=WAIT)
    agent.get_by_role("button", name="Contestar").click()
    expect(phone).to_have_text("En llamada", timeout=WAIT)
    answer = gateway.first("answer")["payload"]
    assert answer["callsid"] == "CA00000000000000000000000000000leg" and answer["sdp"].startswith("v=0")
    check_accessibility(agent, "softphone-in-call")
    agent.locator("#colgar-telefono").click()
    expect(phone).to_have_text("Llamada terminada", timeout=WAIT)
    assert "hangup" in gateway.kinds()
    # Twilio reports the dial and the call's end: the call is closed, answered by this official.
    webhook(server, "dial-result", DialCallStatus="completed", DialCallSid="CAleg", DialCallDuration="12")
    webhook(server, "status", CallStatus="completed")
    context.close()
