"""The 195 line as wired in one process: the IVR host and its queue, on an app key."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ivr.callback_retry import CallbackOutcomes
from ivr.calls import CallsService
from ivr.host import IvrHost
from ivr.queueing import CallQueue


@dataclass
class VoiceLine:
    host: IvrHost
    queue: CallQueue | None
    callbacks: CallbackOutcomes | None = None  # retries of unanswered callbacks (ivr.callback_retry)


VOICE_LINE = web.AppKey("voice_line", VoiceLine)
CALLS = web.AppKey("voice_calls", CallsService)  # the officials' call controls (hold, transfer...)
