"""`X-Twilio-Signature` on every webhook, checked with twilio's own `RequestValidator`.

Twilio signs the URL it called (PUBLIC_BASE_URL + path + query) and the POSTed form. Without
TWILIO_AUTH_TOKEN nothing can be verified, so every webhook is refused (and the start-up log says
why) rather than trusting unsigned requests that anyone could forge.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from contact_center.core.errors import Forbidden

log = logging.getLogger(__name__)
HEADER = "X-Twilio-Signature"


class TwilioSignatureError(Forbidden):
    code = "invalid_twilio_signature"


class SignatureCheck:
    def __init__(self, auth_token: str | None, base_url: str) -> None:
        self._validator = RequestValidator(auth_token) if auth_token else None
        self._base_url = base_url.rstrip("/")
        if self._validator is None:
            log.error(
                "twilio_webhooks_disabled",
                extra={"reason": "TWILIO_AUTH_TOKEN is not set; every Twilio webhook is refused (403)"},
            )

    def url_of(self, request: web.Request) -> str:
        return f"{self._base_url}{request.rel_url.raw_path_qs}"

    def verify(self, request: web.Request, form: Mapping[str, str]) -> None:
        """Raise 403 `invalid_twilio_signature` unless Twilio signed exactly this request."""
        if self._validator is None:
            raise TwilioSignatureError(
                "Los webhooks de Twilio están deshabilitados: falta TWILIO_AUTH_TOKEN.",
                code="twilio_not_configured",
            )
        signature = request.headers.get(HEADER, "")
        if not signature or not self._validator.validate(self.url_of(request), dict(form), signature):
            log.warning("twilio_signature_refused", extra={"path": request.path, "signed": bool(signature)})
            raise TwilioSignatureError("Firma de Twilio ausente o no válida.")
