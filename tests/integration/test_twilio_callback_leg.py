"""The outgoing leg of a Twilio callback: its `<Dial>` to the official has its own result URL (the
caller's line knows calls by the citizen's CallSid), the callback is `done` only when the official
and the citizen spoke, and answering-machine detection keeps a voicemail from being "served"."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer
from contact_center.core.http.keys import UOW
from tests.integration import twilio_support
from tests.integration.callback_support import (
    RETRY_SETTINGS,
    accept_offer,
    assert_parked,
    available_official,
    callback_rows,
    dialled,
    spent_attempts,
)
from tests.integration.test_twilio_callback import ask_for_callback
from tests.integration.test_twilio_callback_retry import placed, status
from tests.integration.twilio_support import CALL_SID, CALLER, TwilioRest, post, said, twiml

rest = twilio_support.rest
line = twilio_support.rest_line(**RETRY_SETTINGS)


def answered(call: dict[str, str], **extra: str) -> dict[str, str]:
    return {"CallSid": call["sid"], "AccountSid": TwilioRest.ACCOUNT, "From": "+576027333195", "To": CALLER,
            **extra}  # fmt: skip


async def test_the_official_missing_the_callback_dial_is_a_miss_and_a_retry_not_a_served_call(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, CALL_SID)
    peer, agent = await available_official(line)
    await accept_offer(peer)
    first = await placed(rest, 1)
    assert first["MachineDetection"] == "Enable"  # answering-machine detection on every callback
    await dialled(line, CALL_SID, 1)
    # The citizen answers (a person): the official's softphone is dialled, with its own result URL.
    root = await twiml(line, first["Url"], answered(first, AnsweredBy="human"))
    dial = root.find("Dial")
    assert dial is not None and dial.findtext("Client") == f"official_{agent}"
    action = dial.get("action", "")
    assert "/channels/twilio/callback-dial-result?conversation=" in action
    # The official does not pick up: the signed dial result is understood (no 404), the citizen hears
    # they will be called again, and the official's acceptance counts as a missed offer.
    root = await twiml(line, action, answered(first, DialCallStatus="no-answer", DialCallSid="CAleg1"))
    assert root.find("Hangup") is not None and "Le llamaremos de nuevo" in said(root)
    await status(line, first, "completed")  # the citizen's leg ends: nobody spoke to them
    rows = await callback_rows(line, CALL_SID)
    assert_parked(rows, 1, queued.item.enqueued_at)  # retried later at their place, not `done`
    assert spent_attempts(rows.events) == [("callback_not_answered", 1, "completed")]
    assert "callback_dial_no-answer" in [e.kind for e in rows.events]
    async with line.app[UOW]() as uow:
        offers = (await uow.session.scalars(select(RoutingOffer.status))).all()
        assert "timed_out" in offers and "accepted" not in offers
        official = await uow.session.get(Official, agent)
        assert official is not None and official.presence == "away"


async def test_a_callback_answered_by_a_machine_is_not_answered(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    queued = await callback_rows(line, CALL_SID)
    peer, _ = await available_official(line)
    await accept_offer(peer)
    first = await placed(rest, 1)
    await dialled(line, CALL_SID, 1)
    root = await twiml(line, first["Url"], answered(first, AnsweredBy="machine_start"))
    assert root.find("Dial") is None and root.find("Hangup") is not None  # no official for a voicemail
    await status(line, first, "completed")
    rows = await callback_rows(line, CALL_SID)
    assert_parked(rows, 1, queued.item.enqueued_at)
    assert "callback_machine" in [e.kind for e in rows.events]


async def test_a_callback_is_done_once_the_official_spoke_with_the_citizen(
    line: TestClient[Any, Any], rest: TwilioRest
) -> None:
    await ask_for_callback(line)
    peer, agent = await available_official(line)
    await accept_offer(peer)
    first = await placed(rest, 1)
    await dialled(line, CALL_SID, 1)
    root = await twiml(line, first["Url"], answered(first, AnsweredBy="human"))
    action = root.find("Dial").get("action", "")  # type: ignore[union-attr]
    params = answered(first, DialCallStatus="completed", DialCallSid="CAleg1", DialCallDuration="95")
    root = await twiml(line, action, params)
    assert root.find("Hangup") is not None
    assert (await post(line, action, params)).status == 200  # a retried result changes nothing
    await status(line, first, "completed")
    rows = await callback_rows(line, CALL_SID)
    assert (rows.callback.status, rows.callback.official_id) == ("done", agent)
    assert (rows.call.state, rows.item.status) == ("closed", "completed")
