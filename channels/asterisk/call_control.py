"""`CallControl` on Asterisk, through AMI actions on the caller's channel.

The dialplan contexts are in `samples/extensions.conf`: `pasto195-espera` plays music on hold,
`pasto195-conectar` dials `${OFFICIAL_INTERFACE}`, `pasto195-cola` puts the caller in the app_queue
queue named by the extension.
"""

from __future__ import annotations

from typing import Any

from channels.asterisk.ami import AmiClient
from channels.asterisk.errors import AmiError
from channels.asterisk.interfaces import DEFAULT, MemberInterface
from ivr.control import CallControlFailed

HOLD_CONTEXT = "pasto195-espera"
CONNECT_CONTEXT = "pasto195-conectar"
QUEUE_CONTEXT = "pasto195-cola"


class AmiCallControl:
    def __init__(self, ami: AmiClient, interfaces: MemberInterface = DEFAULT) -> None:
        self.ami = ami
        self.interfaces = interfaces

    async def hold(self, external_id: str, channel: str | None, official_id: int, on: bool) -> str:
        if on:
            return await self._redirect(channel, HOLD_CONTEXT, "s")
        return await self.connect(external_id, channel, official_id)

    async def connect(self, external_id: str, channel: str | None, official_id: int) -> str:
        leg = _leg(channel)
        await self._send({"Action": "Setvar", "Channel": leg, "Variable": "OFFICIAL_INTERFACE",
                          "Value": self.interfaces.of(official_id)})  # fmt: skip
        return await self._redirect(leg, CONNECT_CONTEXT, "s")

    async def requeue(self, external_id: str, channel: str | None, queue_code: str) -> str:
        return await self._redirect(channel, QUEUE_CONTEXT, queue_code)

    async def hang_up(self, external_id: str, channel: str | None) -> str:
        # Cause 16: normal clearing, as when the official hangs up their phone.
        return await self._send({"Action": "Hangup", "Channel": _leg(channel), "Cause": "16"})

    async def _redirect(self, channel: str | None, context: str, exten: str) -> str:
        fields = {"Action": "Redirect", "Channel": _leg(channel), "Context": context,
                  "Exten": exten, "Priority": "1"}  # fmt: skip
        return await self._send(fields)

    async def _send(self, fields: dict[str, Any]) -> str:
        try:
            response = await self.ami.send_action(fields)
        except AmiError as exc:
            raise CallControlFailed(
                "Asterisk no aceptó el cambio de la llamada; intente de nuevo.", provider_error=str(exc)[:200]
            ) from exc
        return str(response.headers.get("ActionID", fields["Action"]))


def _leg(channel: str | None) -> str:
    if not channel:
        raise CallControlFailed(
            "No se conoce el canal de la llamada en Asterisk.", code="call_channel_unknown"
        )
    return channel
