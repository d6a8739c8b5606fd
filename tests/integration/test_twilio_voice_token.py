"""`GET /api/v1/voice/token`: the console's softphone token (Twilio AccessToken with a VoiceGrant)
whose identity is the one the 195 line dials, `official_{id}`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jwt
from aiohttp.test_utils import TestClient

from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.seed import seed_demo
from tests.conftest import AppFactory
from tests.integration.router_support import official_id

AGENT = "agente1@demo.pasto.gov.co"
VOICE = {
    "twilio_account_sid": "AC00000000000000000000000000000195",
    "twilio_api_key_sid": "SK00000000000000000000000000000195",
    "twilio_api_key_secret": "api-key-secret-of-the-195-line-tests",
    "twilio_twiml_app_sid": "AP00000000000000000000000000000195",
}


async def _seeded(make_client: AppFactory, settings: Settings) -> TestClient[Any, Any]:
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _bearer(client: TestClient[Any, Any], email: str = AGENT) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": "demo-195"})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_an_official_gets_a_voice_token_for_the_identity_the_line_dials(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await _seeded(make_client, make_settings(**VOICE))
    resp = await client.get("/api/v1/voice/token", headers=await _bearer(client))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    async with client.app[UOW]() as uow:
        agent = await official_id(uow, AGENT)
    assert body["identity"] == f"official_{agent}"
    assert re.fullmatch(r"[A-Za-z0-9_]+", body["identity"])  # what every Twilio Voice SDK accepts
    # Signed with the API key secret (HS256), issued by the key for the account, as Twilio reads it.
    claims = jwt.decode(body["token"], VOICE["twilio_api_key_secret"], algorithms=["HS256"])
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    assert claims["iss"] == VOICE["twilio_api_key_sid"] and claims["sub"] == VOICE["twilio_account_sid"]
    assert claims["exp"] - claims["nbf"] == body["ttl_seconds"] == 3600
    grants = claims["grants"]
    assert grants["identity"] == body["identity"]
    assert grants["voice"]["incoming"] == {"allow": True}
    assert grants["voice"]["outgoing"]["application_sid"] == VOICE["twilio_twiml_app_sid"]


async def test_the_token_needs_a_signed_in_official_and_a_configured_account(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    client = await _seeded(make_client, make_settings())  # no API key configured
    resp = await client.get("/api/v1/voice/token")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "missing_token"
    resp = await client.get("/api/v1/voice/token", headers=await _bearer(client))
    assert resp.status == 409
    error = (await resp.json())["error"]
    assert error["code"] == "voice_token_unavailable" and "no está configurado" in error["message"]
    doc = await (await client.get("/api/v1/openapi.json")).json()
    route = doc["paths"]["/api/v1/voice/token"]["get"]
    assert set(route["responses"]) >= {"200", "401", "409"}
