"""SMS through Twilio's Programmable Messaging API, with the `twilio` REST client.

The adapter does one I/O thing: send one text to one number. `api_base` points the client at
another host than https://api.twilio.com (the tests' stand-in server); production leaves it unset.
"""

from __future__ import annotations

import aiohttp
from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]
from twilio.http.async_http_client import AsyncTwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from contact_center.core.config import Settings
from contact_center.core.jobs.port import SmsUnavailable

__all__ = ["SmsUnavailable", "TwilioSms", "build_sms"]


class TwilioSms:
    """`send(to, body)` with the account's sender number; one HTTP session per message."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        *,
        api_base: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base
        self.timeout = timeout

    async def send(self, to: str, body: str) -> str:
        """Send the message; its Twilio SID. Raises `SmsUnavailable` when it did not go out."""
        http = AsyncTwilioHttpClient(timeout=self.timeout)
        client = Client(self.account_sid, self.auth_token, http_client=http)
        if self.api_base:
            client.api.base_url = self.api_base.rstrip("/")
        try:
            message = await client.messages.create_async(to=to, from_=self.from_number, body=body)
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise SmsUnavailable(f"{type(exc).__name__}: {exc}") from exc
        finally:
            await http.close()
        return str(message.sid)


def build_sms(settings: Settings) -> TwilioSms | None:
    """The Twilio SMS adapter when the account is configured, else None."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number):
        return None
    return TwilioSms(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from_number,
        api_base=settings.twilio_api_base,
    )
