"""When an official accepts a queued Twilio call in the console, the call leaves the Twilio queue
at once: the line redirects it through Twilio's REST API (a local stand-in) to the signed
`queue-connect` hook, which dials the official; no waiting for the hold music to end."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration import twilio_support
from tests.integration.test_twilio_call_control import AGENT, official
from tests.integration.twilio_support import BASE, CALL_SID, TwilioRest, call_params, said, twiml
from tests.integration.twilio_walk import conversation, queued_call

rest = twilio_support.rest
line = twilio_support.rest_line()


async def test_accepting_a_queued_call_redirects_it_to_the_official_at_once(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await queued_call(line)
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    offer = await peer.next("offer", wait=10, where=lambda o: o["channel"] == "voice")
    assert rest.updates == []
    accepted = await peer.call("accept", {"offer_id": offer["offer_id"]})
    assert accepted.get("ok"), accepted
    # Right after the acceptance (in the background), Twilio is asked to run queue-connect.
    async with asyncio.timeout(5):
        while not rest.updates:  # noqa: ASYNC110  (the line redirects on its own task)
            await asyncio.sleep(0.05)
    assert rest.updates == [
        {"CallSid": CALL_SID, "Url": f"{BASE}/channels/twilio/queue-connect", "Method": "POST"}
    ]
    root = await twiml(line, "/channels/twilio/queue-connect", call_params())
    assert root.findtext("Dial/Client") == f"official_{agent}" and "Le comunicamos" in said(root)
    call = await conversation(line)
    assert (call.state, call.official_id) == ("active", agent) and call.answered_at is not None
    # Twilio then reports the queue's end as `redirected`: nothing to run, nothing changes.
    root = await twiml(line, "/channels/twilio/queue-result", call_params(QueueResult="redirected"))
    assert list(root) == []
    # A retried queue-connect dials the same official again, changing nothing.
    root = await twiml(line, "/channels/twilio/queue-connect", call_params())
    assert root.findtext("Dial/Client") == f"official_{agent}"
    assert (await conversation(line)).state == "active"


async def test_a_refused_redirect_still_connects_at_the_next_wait_fetch(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await queued_call(line)
    peer, agent = await official(line, AGENT)
    assert (await peer.call("presence", {"presence": "available"}))["ok"]
    offer = await peer.next("offer", wait=10, where=lambda o: o["channel"] == "voice")
    rest.update_status = 500  # Twilio answers the redirect with an error
    assert (await peer.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
    async with asyncio.timeout(5):
        while not rest.updates:  # noqa: ASYNC110  (the line redirects on its own task)
            await asyncio.sleep(0.05)
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="30"))
    assert root.find("Leave") is not None
    root = await twiml(line, "/channels/twilio/queue-result", call_params(QueueResult="leave"))
    assert root.findtext("Dial/Client") == f"official_{agent}"
