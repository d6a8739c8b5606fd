"""`GET /api/v1/voice/token`: a Twilio access token for the official's softphone in the console.

The console's Twilio Voice SDK (`Device`) registers with Twilio under the token's identity, and
the 195 line dials that same identity (`<Dial><Client>official_{id}</Client></Dial>`, see
`channels.twilio.twiml.client_identity`), so a call handed to an official rings in their browser.
The token is a JWT signed with an API key (TWILIO_API_KEY_SID / TWILIO_API_KEY_SECRET) carrying a
`VoiceGrant` that allows incoming calls (and outgoing ones through TWILIO_TWIML_APP_SID).
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel
from twilio.jwt.access_token import AccessToken  # type: ignore[import-untyped]
from twilio.jwt.access_token.grants import VoiceGrant  # type: ignore[import-untyped]

from channels.twilio.twiml import client_identity
from contact_center.core.auth import Principal
from contact_center.core.config import Settings
from contact_center.core.errors import DomainError
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import SETTINGS
from contact_center.core.officials import Role

TOKEN_TTL_SECONDS = 3600  # the SDK warns before expiry (`tokenWillExpire`); the console fetches anew
routes = ApiRoutes()


class VoiceUnavailable(DomainError):
    code = "voice_token_unavailable"
    status = 409  # a 4xx: the server is not set up for it (the API answers no 5xx by design)


class VoiceTokenOut(BaseModel):
    token: str
    identity: str
    ttl_seconds: int


def voice_token(settings: Settings, official_id: int) -> tuple[str, str]:
    """(JWT, identity) for this official; `VoiceUnavailable` when the account is not set up."""
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("TWILIO_API_KEY_SID", settings.twilio_api_key_sid),
            ("TWILIO_API_KEY_SECRET", settings.twilio_api_key_secret),
            ("TWILIO_TWIML_APP_SID", settings.twilio_twiml_app_sid),
        )
        if not value
    ]
    if missing:
        raise VoiceUnavailable(
            "El teléfono del navegador no está configurado en este servidor.", missing=missing
        )
    identity = client_identity(official_id)
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key_sid,
        settings.twilio_api_key_secret,
        identity=identity,
        ttl=TOKEN_TTL_SECONDS,
    )
    token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=settings.twilio_twiml_app_sid))
    return str(token.to_jwt()), identity


@routes.get(
    "/api/v1/voice/token",
    responses={200: VoiceTokenOut, 401: None, 403: None, 409: None},
    role=Role.AGENT,
    tags=["voice"],
    summary="A Twilio Voice access token (VoiceGrant, identity official_{id}) for the console's "
    "softphone; 409 voice_token_unavailable when the Twilio API key is not configured",
)
async def get_voice_token(request: web.Request, principal: Principal) -> web.Response:
    token, identity = voice_token(request.app[SETTINGS], principal.official_id)
    out = VoiceTokenOut(token=token, identity=identity, ttl_seconds=TOKEN_TTL_SECONDS)
    return web.json_response(out.model_dump(), headers={"Cache-Control": "no-store"})
