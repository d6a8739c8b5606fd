"""The port through which officials change a live call: one implementation per provider
(`channels.twilio.rest.TwilioCallControl`, `channels.asterisk.call_control.AmiCallControl`).

`external_id` is the provider's id of the call (CallSid, linkedid), `channel` the caller's leg
where the provider needs it (Asterisk). Each method does one I/O thing and returns the provider's
reference of the change; a provider failure raises `CallControlFailed`.
"""

from __future__ import annotations

from typing import Protocol

from contact_center.core.errors import DomainError


class CallControlFailed(DomainError):
    """The provider could not be reached or refused the change; nothing was recorded."""

    code = "call_control_failed"
    status = 502


class CallControl(Protocol):
    async def hold(self, external_id: str, channel: str | None, official_id: int, on: bool) -> str:
        """Music on hold (on) or back to `official_id` (off)."""
        ...

    async def connect(self, external_id: str, channel: str | None, official_id: int) -> str:
        """Connect the caller to this official."""
        ...

    async def requeue(self, external_id: str, channel: str | None, queue_code: str) -> str:
        """Put the caller back to wait in a queue."""
        ...

    async def hang_up(self, external_id: str, channel: str | None) -> str:
        """End the call."""
        ...
