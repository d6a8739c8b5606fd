"""An official who accepted a call but does not pick up the `<Dial>` (no-answer, busy, failed):
the caller waits again at their place and the official's acceptance counts as a missed offer."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import Official
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.http.keys import UOW
from tests.integration import twilio_support
from tests.integration.router_support import parts
from tests.integration.twilio_support import call_params, post, said, twiml
from tests.integration.twilio_walk import accept_next_offer, conversation, dialled, queued_call

line = twilio_support.seeded_line(reload_router=True)
DIAL = "/channels/twilio/dial-result"


@pytest.mark.parametrize("outcome", ["no-answer", "busy", "failed"])
async def test_a_missed_dial_puts_the_caller_back_at_their_place(
    line: TestClient[Any, Any], outcome: str
) -> None:
    router = parts(line)
    await queued_call(line)
    call = await conversation(line)
    async with line.app[UOW]() as uow:
        enqueued_at = await uow.session.scalar(
            select(WorkItem.enqueued_at).where(WorkItem.conversation_id == call.id)
        )
    agent = await accept_next_offer(router)
    await dialled(line)
    params = call_params(DialCallStatus=outcome, DialCallSid="CAdial000000000000000000000000001")
    root = await twiml(line, DIAL, params)
    # Back in the same Twilio queue (a <Dial> action may answer <Enqueue>), with a word of why.
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "atencion_general", root
    assert root.find("Hangup") is None and "Conserva su turno" in said(root)
    # A retried dial-result changes nothing and answers the same.
    again = await twiml(line, DIAL, params)
    assert again.find("Enqueue") is not None
    call = await conversation(line)
    assert (call.state, call.official_id, call.ended_at, call.answered_at) == ("queued", None, None, None)
    async with line.app[UOW]() as uow:
        item = await uow.session.scalar(select(WorkItem).where(WorkItem.conversation_id == call.id))
        assert item is not None
        assert (item.status, item.official_id) == ("waiting", None)
        assert item.enqueued_at == enqueued_at  # its place in line
        offer = await uow.session.scalar(select(RoutingOffer).where(RoutingOffer.work_item_id == item.id))
        assert offer is not None and offer.status == "timed_out"  # the acceptance did not hold: a miss
        official = await uow.session.get(Official, agent)
        assert official is not None and (official.presence, official.away_reason) == (
            "away",
            "oferta perdida",
        )
    assert any(e["reason"] == "call_missed" for e in router.tap.named("offer.revoked"))
    # The flow waits again: the wait URL announces the position instead of failing the call.
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="30"))
    assert "Su turno en la fila es el 1" in said(root)
    # Another official accepts; the caller is dialled to them.
    other = await accept_next_offer(router, "agente2@demo.pasto.gov.co")
    root = await dialled(line)
    assert root.findtext("Dial/Client") == f"official_{other}"
    await post(
        line, DIAL, call_params(DialCallStatus="completed", DialCallSid="CAdial2", DialCallDuration="60")
    )
    resp = await post(line, "/channels/twilio/status", call_params(CallStatus="completed"))
    assert resp.status == 204
    call = await conversation(line)
    assert (call.state, call.official_id) == ("closed", other)
