"""Twilio's Voice REST API for the 195 line: change what a live call is doing (hold, transfer,
hang up) and place the outgoing call of a queued callback.

One adapter, one I/O thing per method, with the `twilio` REST client. `api_base` points the client
at another host than https://api.twilio.com (the tests' stand-in); production leaves it unset.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]
from twilio.http.async_http_client import AsyncTwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from channels.twilio.twiml import TwimlRenderer
from ivr.control import CallControlFailed


class TwilioVoice:
    """The account's Calls resource: `update(sid, ...)` and `create(to, url)`."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        *,
        api_base: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base
        self.timeout = timeout

    async def update(self, call_sid: str, **changes: Any) -> str:
        """POST Calls/{sid}.json with new TwiML or a status; returns the call's SID."""
        return await self._call(lambda client: client.calls(call_sid).update_async(**changes))

    async def create(self, to: str, url: str, status_callback: str) -> str:
        """Place an outgoing call whose TwiML comes from `url`; returns the new call's SID.

        Answering-machine detection is on (`MachineDetection=Enable`): `url` is fetched once
        Twilio knows who answered and carries `AnsweredBy` (human, machine_start, fax, unknown)."""
        if not self.from_number:
            raise CallControlFailed("Falta TWILIO_FROM_NUMBER para llamar.", code="twilio_not_configured")
        return await self._call(
            lambda client: client.calls.create_async(
                to=to, from_=self.from_number, url=url, method="POST",
                status_callback=status_callback, status_callback_method="POST",
                machine_detection="Enable",
            )
        )  # fmt: skip

    async def _call(self, request: Any) -> str:
        http = AsyncTwilioHttpClient(timeout=self.timeout)
        client = Client(self.account_sid, self.auth_token, http_client=http)
        if self.api_base:
            client.api.base_url = self.api_base.rstrip("/")
        try:
            call = await request(client)
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise CallControlFailed(
                "Twilio no aceptó el cambio de la llamada; intente de nuevo.", provider_error=str(exc)[:200]
            ) from exc
        finally:
            await http.close()
        return str(call.sid)


class TwilioCallControl:
    """`CallControl` on Twilio: each change replaces the TwiML the caller's leg is running."""

    def __init__(self, voice: TwilioVoice, renderer: TwimlRenderer) -> None:
        self.voice = voice
        self.renderer = renderer

    async def hold(self, external_id: str, channel: str | None, official_id: int, on: bool) -> str:
        # Redirecting the caller's leg drops the official's <Dial> leg: hold is music in a loop,
        # and taking the caller off hold dials the same official again.
        twiml = self.renderer.hold_loop() if on else self.renderer.connect_official(official_id)
        return await self.voice.update(external_id, twiml=twiml)

    async def connect(self, external_id: str, channel: str | None, official_id: int) -> str:
        return await self.voice.update(external_id, twiml=self.renderer.connect_official(official_id))

    async def requeue(self, external_id: str, channel: str | None, queue_code: str) -> str:
        # Back in the Twilio queue with the usual wait URL: the router's next offer, once accepted,
        # takes the caller out (<Leave/>) and the Enqueue action dials that official.
        return await self.voice.update(external_id, twiml=self.renderer.enqueue_only(queue_code))

    async def hang_up(self, external_id: str, channel: str | None) -> str:
        return await self.voice.update(external_id, status="completed")


class TwilioDialer:
    """Callbacks on Twilio: call the citizen; the answered call fetches `callback-connect`, which
    dials the official who accepted the callback's offer."""

    def __init__(self, voice: TwilioVoice, renderer: TwimlRenderer) -> None:
        self.voice = voice
        self.renderer = renderer

    async def call_back(self, number: str, official_id: int, conversation_id: int) -> str:
        url = self.renderer.url("callback-connect", conversation=conversation_id, official=official_id)
        # The status URL names the conversation: a status that outruns Twilio's answer to this
        # request finds the callback by it and waits for the dialler's commit (callback_hooks).
        status = self.renderer.url("callback-status", conversation=conversation_id)
        return await self.voice.create(number, url, status)
