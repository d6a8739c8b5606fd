"""A Twilio status callback that outruns Twilio's answer to the callback's call creation (a quick
`busy`) is not lost: the webhook finds the callback by the conversation its URL names and waits
for the line to store the call's SID, then retries the callback like any unanswered call."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration import twilio_support
from tests.integration.callback_support import (
    RETRY_SETTINGS,
    accept_offer,
    assert_parked,
    available_official,
    callback_rows,
    spent_attempts,
)
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.twilio_support import CALL_SID, CALLER, TwilioRest, post

rest = twilio_support.rest
line = twilio_support.rest_line(**RETRY_SETTINGS)


async def test_a_busy_status_sent_before_twilio_answers_the_creation_still_retries_the_callback(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, CALL_SID)
    statuses: list[asyncio.Task[Any]] = []

    async def busy_first(created: dict[str, str]) -> None:
        # Twilio posts the call's status to the URL the line gave it, before the line has read
        # Twilio's answer to the creation (which this stand-in holds back a moment).
        params = {"CallSid": created["sid"], "AccountSid": TwilioRest.ACCOUNT, "From": "+576027333195",
                  "To": CALLER, "CallStatus": "busy"}  # fmt: skip
        statuses.append(asyncio.create_task(post(line, created["StatusCallback"], params)))
        await asyncio.sleep(0.5)

    rest.before_answer = busy_first
    peer, _ = await available_official(line)
    await accept_offer(peer)

    async with asyncio.timeout(10):
        while not statuses:  # noqa: ASYNC110  (the app dials on its own timer)
            await asyncio.sleep(0.05)
        response = await statuses[0]
    assert response.status == 204
    parked = await callback_rows(line, CALL_SID)
    assert_parked(parked, 1, queued.item.enqueued_at)
    assert spent_attempts(parked.events) == [("callback_not_answered", 1, "busy")]
    await peer.close()
