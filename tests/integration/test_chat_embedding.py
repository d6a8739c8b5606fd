"""The chat widget frames `/portal/chat` on the city portal: that page, and only that one, may be
framed by the ALLOWED_ORIGINS origins; the console and the dashboard stay framable by ourselves only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.config import Settings
from tests.conftest import AppFactory

PORTAL = "https://www.pasto.gov.co"
INTRANET = "http://intranet.pasto.local:8000"


async def frame_ancestors(client: TestClient[Any, Any], path: str) -> list[str]:
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    directives = dict(
        d.strip().split(" ", 1) for d in resp.headers["Content-Security-Policy"].split(";") if d.strip()
    )
    return directives["frame-ancestors"].split()


async def test_the_chat_page_may_be_framed_by_the_allowed_origins_only(
    make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await make_client(make_settings(allowed_origins=f"{PORTAL}/, {INTRANET}"))
    assert await frame_ancestors(client, "/portal/chat") == ["'self'", PORTAL, INTRANET]
    for page in ("/agents", "/supervisor"):
        assert await frame_ancestors(client, page) == ["'self'"]


async def test_without_allowed_origins_the_chat_page_is_framed_by_ourselves_only(
    client: TestClient[Any, Any],
) -> None:
    assert await frame_ancestors(client, "/portal/chat") == ["'self'"]
