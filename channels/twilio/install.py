"""The Twilio REST side of the 195 line, when the account is configured (TWILIO_ACCOUNT_SID and
TWILIO_AUTH_TOKEN; TWILIO_FROM_NUMBER for callbacks; TWILIO_API_BASE only in tests)."""

from __future__ import annotations

from aiohttp import web

from channels.twilio.hooks import RENDERER
from channels.twilio.rest import TwilioCallControl, TwilioDialer, TwilioVoice
from contact_center.core.http.keys import SETTINGS


def twilio_voice(app: web.Application) -> TwilioVoice | None:
    settings = app[SETTINGS]
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    return TwilioVoice(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
        api_base=settings.twilio_api_base,
    )


def twilio_control(app: web.Application) -> TwilioCallControl | None:
    voice = twilio_voice(app)
    return TwilioCallControl(voice, app[RENDERER]) if voice is not None else None


def twilio_dialer(app: web.Application) -> TwilioDialer | None:
    voice = twilio_voice(app)
    if voice is None or not voice.from_number:
        return None
    return TwilioDialer(voice, app[RENDERER])
