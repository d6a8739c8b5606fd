"""A Twilio callback whose outgoing call Twilio refuses to place (its REST API answers an error; the
line's real REST client talks to a local stand-in) is an attempt like an unanswered call: dialled
again after the configured delay on the test's fake clock, keeping the citizen's place, and closed
after the last attempt, with each refusal in the call's history."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from ivr.models import VoiceCallback
from tests.integration import twilio_support
from tests.integration.callback_support import (
    DELAY_SECONDS,
    RETRY_SETTINGS,
    abandoned_in_queue,
    accept_offer,
    assert_closed,
    assert_parked,
    available_official,
    callback_rows,
    dialled,
    long_after,
    offered_once_the_delay_passes,
    spent_attempts,
)
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.test_twilio_callback_retry import placed, status
from tests.integration.twilio_support import CALL_SID, CALLER, GEO_REFUSAL, TwilioRest

rest = twilio_support.rest
line = twilio_support.rest_line(**RETRY_SETTINGS)


async def refused(line: TestClient[Any, Any], rest: TwilioRest, count: int) -> VoiceCallback:
    """The callback once the line has settled the `count`-th creation Twilio refused (it is
    `dialing` while Twilio is asked)."""
    async with asyncio.timeout(10):
        while True:
            callback = (await callback_rows(line, CALL_SID)).callback
            if len(rest.refused) >= count and callback.status not in ("pending", "dialing"):
                return callback
            await asyncio.sleep(0.1)


async def test_a_callback_twilio_refuses_to_place_is_retried_after_the_delay_like_an_unanswered_one(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, CALL_SID)
    peer, agent = await available_official(line)
    rest.refusals.append(GEO_REFUSAL)  # Twilio answers the first Calls.json with HTTP 400
    await accept_offer(peer)

    # Attempt 1 is refused: spent like an unanswered call, parked at the citizen's place.
    await refused(line, rest, 1)
    assert rest.refused[0]["To"] == CALLER and rest.created == []
    parked = await callback_rows(line, CALL_SID)
    assert_parked(parked, 1, queued.item.enqueued_at)
    assert spent_attempts(parked.events) == [("callback_dial_refused", 1, "dial-refused")]
    [refusal] = [e.data for e in parked.events if e.kind == "callback_dial_refused"]
    assert "Account not authorized to call" in refusal["error"]

    # Not dialled again on the next rounds (every 2 s), nor offered, until the delay has passed.
    offer = await offered_once_the_delay_passes(clock, peer, parked.call.id)
    assert len(rest.refused) == 1 and rest.created == []
    await accept_offer(peer, offer)

    # Attempt 2 is placed and not answered: the last of 2 attempts, the refusal counted.
    second = await placed(rest, 1)
    callback = await dialled(line, CALL_SID, 2)
    assert (callback.status, callback.attempts, callback.official_id) == ("dialing", 2, agent)
    await status(line, second, "no-answer")
    closed = await callback_rows(line, CALL_SID)
    assert_closed(closed, 2, "no-answer")
    assert spent_attempts(closed.events) == [
        ("callback_dial_refused", 1, "dial-refused"),
        ("callback_not_answered", 2, "no-answer"),
    ]
    await peer.close()


async def test_a_callback_twilio_refuses_every_time_is_closed_after_the_last_attempt(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    peer, _ = await available_official(line)
    rest.refusals.extend([GEO_REFUSAL, GEO_REFUSAL, GEO_REFUSAL])
    for attempt in (1, 2):
        if attempt == 2:
            clock.advance(seconds=DELAY_SECONDS + 1)
        await accept_offer(peer)
        await refused(line, rest, attempt)
    closed = await callback_rows(line, CALL_SID)
    assert_closed(closed, 2, "dial-refused")
    assert spent_attempts(closed.events) == [
        ("callback_dial_refused", 1, "dial-refused"),
        ("callback_dial_refused", 2, "dial-refused"),
    ]
    assert await abandoned_in_queue(line) == 1

    await long_after(clock)  # the third refusal stays unused: nothing is dialled
    assert len(rest.refused) == 2 and rest.created == []
    await peer.close()
