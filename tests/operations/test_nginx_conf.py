"""deploy/nginx-pasto195.conf: `nginx -t` passes, and a real nginx in front of a real `serve` over TLS
carries the WebSocket upgrade, Twilio's signature, the client's address and the log-in rate limit."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from contact_center.core.config import Settings
from tests.support.server import ROOT, ServerProcess, free_port

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
CONF = ROOT / "deploy" / "nginx-pasto195.conf"
TOKEN = "nginx-test-twilio-token"


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def site(folder: Path, upstream: int, http: int, https: int) -> Path:
    """The example as installed on a test machine: its own certificate, ports and upstream."""
    cert, key = certificate(folder)
    text = CONF.read_text()
    text = text.replace("/etc/letsencrypt/live/195.pasto.gov.co/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/195.pasto.gov.co/privkey.pem", str(key))
    text = re.sub(r"    server 127\.0\.0\.1:8081;.*\n    server 127\.0\.0\.1:8082;\n",
                  f"    server 127.0.0.1:{upstream};\n", text)  # fmt: skip
    text = text.replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    main = folder / "nginx.conf"
    (folder / "site.conf").write_text(text)
    main.write_text(f"pid {folder}/nginx.pid;\nevents {{}}\nhttp {{\n include {folder}/site.conf;\n}}\n")
    return main


def nginx(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nginx", "-e", "stderr", *args], capture_output=True, text=True, check=False)


def test_nginx_t_accepts_the_example(tmp_path: Path) -> None:
    main = site(tmp_path, 8081, free_port(), free_port())
    result = nginx("-t", "-p", str(tmp_path), "-c", str(main))
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_upload_limit_matches_max_request_bytes() -> None:
    size = re.search(r"client_max_body_size (\d+)m;", CONF.read_text())
    assert size and int(size.group(1)) * 1024 * 1024 == Settings.model_fields["max_request_bytes"].default


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[str]:
    """A `serve` behind nginx; yields nginx's https base URL (PUBLIC_BASE_URL of the service)."""
    https = free_port()
    base = f"https://127.0.0.1:{https}"
    env = {"DATA_DIR": str(tmp_path / "var"), "TRUSTED_PROXIES": "127.0.0.1", "PUBLIC_BASE_URL": base,
           "TWILIO_AUTH_TOKEN": TOKEN, "LOG_FORMAT": "console", "JOBS": "inline"}  # fmt: skip
    with ServerProcess(env, log_path=tmp_path / "server.log") as server:
        main = site(tmp_path, server.port, free_port(), https)
        proc = subprocess.Popen(["nginx", "-e", "stderr", "-p", str(tmp_path), "-c", str(main),
                                 "-g", "daemon off;"], stderr=subprocess.PIPE)  # fmt: skip
        try:
            time.sleep(0.5)
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            yield base
        finally:
            proc.terminate()
            proc.wait(10)


def insecure() -> aiohttp.TCPConnector:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return aiohttp.TCPConnector(ssl=context)


async def test_websocket_upgrade_through_tls(proxied: str) -> None:
    async with aiohttp.ClientSession(connector=insecure()) as http:
        url = proxied.replace("https", "wss") + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url) as ws:
            opened = await ws.receive_str(timeout=5)
            assert opened.startswith("0{") and '"sid"' in opened  # engine.io's open packet


async def test_twilio_signature_validates_behind_the_proxy(proxied: str) -> None:
    params = {"CallSid": "CA" + "1" * 32, "From": "+573001234567", "To": "+5727195", "CallStatus": "ringing"}
    url = f"{proxied}/channels/twilio/voice"
    async with aiohttp.ClientSession(connector=insecure()) as http:
        signed = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params)}
        async with http.post(url, data=params, headers=signed) as resp:
            assert resp.status == 200, await resp.text()
            assert "<Response>" in await resp.text()
        async with http.post(url, data=params, headers={"X-Twilio-Signature": "forged"}) as resp:
            assert resp.status == 403


async def test_login_flood_is_cut_by_nginx_before_the_service(proxied: str) -> None:
    async with aiohttp.ClientSession(connector=insecure()) as http:
        statuses = []
        for i in range(12):  # burst 5 over 10/min: nginx answers 429 before the service sees them
            body = {"email": f"nadie{i}@example.org", "password": "incorrecta"}
            async with http.post(f"{proxied}/api/v1/auth/login", json=body) as resp:
                statuses.append((resp.status, resp.content_type))
        assert statuses[0] == (401, "application/json")
        assert (429, "text/html") in statuses  # nginx's own page: the request never reached the service
        async with http.get(f"{proxied}/health") as resp:
            assert resp.status == 200  # GETs are not counted
        async with http.get(f"{proxied}/metrics") as resp:
            assert resp.status == 404  # scraped on the instances directly, not through the site
