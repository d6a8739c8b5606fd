"""The line's requests to Twilio's REST API run with no database transaction open: while Twilio
takes its time answering an official's hold or a callback's dial, other callers' webhooks write
(on SQLite every transaction takes the one write lock: a REST call inside one stalls them all)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from contact_center.core.clock import FakeClock
from contact_center.core.http.keys import UOW
from ivr.callbacks import LOST_DIAL, LOST_DIAL_SECONDS
from ivr.models import VoiceCallback
from tests.integration import twilio_support
from tests.integration.callback_support import accept_offer, available_official, callback_rows, dialled
from tests.integration.test_twilio_call_control import AGENT, official, queued_call, take_call
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.test_twilio_callback_retry import placed
from tests.integration.twilio_support import CALL_SID, TwilioRest, call_params, post
from tests.integration.twilio_walk import conversation

rest = twilio_support.rest
line = twilio_support.rest_line()
OTHER_CALL = "CA0000000000000000000000000000othr"


def another_caller_meanwhile(line: TestClient[Any, Any], answered: list[float]) -> Any:
    """A Twilio stand-in hook: before answering the line, a new call's first webhook (a write) must
    be answered within 3 s; the seconds it took go to `answered`."""

    async def meanwhile(_: dict[str, str]) -> None:
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(3):
            resp = await post(line, "/channels/twilio/voice", call_params(OTHER_CALL))
        assert resp.status == 200
        answered.append(asyncio.get_running_loop().time() - started)

    return meanwhile


async def test_an_officials_hold_does_not_stall_other_callers(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    await queued_call(line)
    await take_call(line, peer, agent)
    ids = {"conversation_id": (await conversation(line)).id}
    answered: list[float] = []
    rest.before_update = another_caller_meanwhile(line, answered)
    assert (await peer.call("call_hold", {**ids, "on": True}))["ok"]
    assert len(answered) == 1  # the other caller was answered while Twilio worked on the hold
    assert (await conversation(line, OTHER_CALL)).state == "open"
    assert (await conversation(line, CALL_SID)).flow_state["on_hold"] is True  # type: ignore[index]


async def test_a_callback_dial_does_not_stall_other_callers(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    peer, _ = await available_official(line)
    answered: list[float] = []
    rest.before_answer = another_caller_meanwhile(line, answered)
    await accept_offer(peer)
    await placed(rest, 1)
    callback = await dialled(line, CALL_SID, 1)
    assert len(answered) == 1 and callback.provider_ref == rest.created[0]["sid"]


async def test_a_dial_whose_reference_never_came_is_spent_not_stuck(
    line: TestClient[Any, Any], rest: TwilioRest, clock: FakeClock
) -> None:
    await ask_for_callback(line)
    peer, _ = await available_official(line)
    await accept_offer(peer)
    await placed(rest, 1)
    await dialled(line, CALL_SID, 1)
    # As if the line stopped between marking the callback `dialing` and storing Twilio's CallSid,
    # and no webhook of that call ever came.
    async with line.app[UOW]() as uow:
        await uow.session.execute(update(VoiceCallback).values(provider_ref=None))
        await uow.commit()
    clock.advance(seconds=LOST_DIAL_SECONDS + 1)
    async with asyncio.timeout(10):  # the dialling round (every 2 s) settles it
        while (await callback_rows(line, CALL_SID)).callback.status == "dialing":  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    rows = await callback_rows(line, CALL_SID)
    assert rows.callback.status == "retry"
    assert [e.data["error"] for e in rows.events if e.kind == "callback_dial_refused"] == [LOST_DIAL]
