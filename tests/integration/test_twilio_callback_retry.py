"""A Twilio callback the citizen does not answer is dialled again after the configured delay (on the
test's fake clock), keeping the citizen's place, and closed after the last attempt: signed status
callbacks in, Twilio's REST API (a local stand-in) out, the supervisors' queue figures checked."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.core.clock import FakeClock
from tests.integration import twilio_support
from tests.integration.callback_support import (
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
from tests.integration.twilio_support import CALL_SID, CALLER, TwilioRest, post

rest = twilio_support.rest
line = twilio_support.rest_line(**RETRY_SETTINGS)


async def placed(rest: TwilioRest, count: int) -> dict[str, str]:
    """The `count`-th outgoing call the line created (the dialling round runs every 2 s)."""
    async with asyncio.timeout(10):
        while len(rest.created) < count:  # noqa: ASYNC110  (the app dials on its own timer)
            await asyncio.sleep(0.1)
    return rest.created[count - 1]


async def status(line: TestClient[Any, Any], call: dict[str, str], outcome: str) -> None:
    params = {"CallSid": call["sid"], "AccountSid": TwilioRest.ACCOUNT, "From": "+576027333195",
              "To": CALLER, "CallStatus": outcome}  # fmt: skip
    assert (await post(line, "/channels/twilio/callback-status", params)).status == 204


async def test_an_unanswered_callback_is_retried_after_the_delay_then_closed_for_supervisors(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, CALL_SID)
    peer, agent = await available_official(line)
    await accept_offer(peer)
    first = await placed(rest, 1)
    await dialled(line, CALL_SID, 1)  # committed: Twilio's status callback can find it

    # Attempt 1 is not answered: the citizen keeps their place, parked until the delay passes.
    await status(line, first, "no-answer")
    await status(line, first, "no-answer")  # Twilio retries its callback: changes nothing
    parked = await callback_rows(line, CALL_SID)
    assert_parked(parked, 1, queued.item.enqueued_at)
    assert spent_attempts(parked.events) == [("callback_not_answered", 1, "no-answer")]

    # Before the delay nobody is offered the call and nobody is dialled; after it, the router offers
    # the callback again and, once accepted, the line dials the citizen a second time.
    offer = await offered_once_the_delay_passes(clock, peer, parked.call.id)
    assert len(rest.created) == 1
    await accept_offer(peer, offer)
    second = await placed(rest, 2)
    assert second["To"] == CALLER and second["sid"] != first["sid"]
    callback = await dialled(line, CALL_SID, 2)
    assert (callback.status, callback.attempts, callback.official_id) == ("dialing", 2, agent)

    # The last attempt is busy: the callback is closed, with its outcome, and counted as abandoned.
    await status(line, second, "busy")
    closed = await callback_rows(line, CALL_SID)
    assert_closed(closed, 2, "busy")
    assert spent_attempts(closed.events) == [
        ("callback_not_answered", 1, "no-answer"),
        ("callback_not_answered", 2, "busy"),
    ]
    assert await abandoned_in_queue(line) == 1

    # Nothing is dialled again, however long the line waits.
    await long_after(clock)
    assert len(rest.created) == 2
    await peer.close()
