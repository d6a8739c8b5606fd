"""Documents that run while the caller waits in a Twilio queue (waitUrl, and the actions of a Gather
inside one) hold only the verbs Twilio allows there; the rule table itself refuses what Twilio does."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from channels.twilio.twiml import TwimlRenderer
from ivr.flow import Enqueue, Gather, Record, Say, Transfer
from tests.integration import twilio_support
from tests.integration.twilio_support import BASE, call_params, said, twiml
from tests.integration.twilio_walk import conversation, queued_call
from tests.support import twiml_rules

line = twilio_support.seeded_line(reload_router=True)


async def test_unanswered_callback_confirmations_keep_the_caller_waiting_without_enqueue(
    line: TestClient[Any, Any],
) -> None:
    await queued_call(line)
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="95", QueuePosition="1"))
    offer = root.find("Gather")
    assert offer is not None and "in_queue=1" in offer.get("action", "")
    root = await twiml(line, offer.get("action", ""), call_params(Digits="1"))  # yes, call me back
    confirm = root.find("Gather")
    assert confirm is not None and "Le devolveremos la llamada" in said(root)
    # The caller presses nothing, three times: the flow goes back to its queue. In a waitUrl
    # document that is no <Enqueue> (not allowed there): the caller simply keeps waiting.
    for _ in range(5):
        root = await twiml(line, confirm.get("action", ""), call_params())  # checked as a wait document
        if root.find("Gather") is None:
            break
        confirm = root.find("Gather")
    assert root.find("Enqueue") is None and root.find("Hangup") is None
    assert "En un momento un funcionario atenderá su llamada" in said(root)
    assert (await conversation(line)).state == "queued"
    # When that document ends Twilio fetches the waitUrl again: the position is announced.
    root = await twiml(line, "/channels/twilio/queue-wait", call_params(QueueTime="140"))
    assert "Su turno en la fila es el 1" in said(root)


def test_the_rule_table_refuses_what_twilio_refuses() -> None:
    renderer = TwimlRenderer(BASE)
    enqueue = Enqueue("atencion_general", 45, "musica_espera", None)
    top = renderer.render([Say("Hola."), enqueue], 3, finished=False)
    assert twiml_rules.check(top, "top").find("Enqueue") is not None
    with pytest.raises(twiml_rules.TwimlRuleError, match="<Enqueue> is not allowed in a wait document"):
        twiml_rules.check(top, "wait")
    with pytest.raises(twiml_rules.TwimlRuleError, match="<Client> identity 'official-3'"):
        twiml_rules.check("<Response><Dial><Client>official-3</Client></Dial></Response>")
    with pytest.raises(twiml_rules.TwimlRuleError, match="cannot nest <Record>"):
        twiml_rules.check("<Response><Gather><Record/></Gather></Response>")
    with pytest.raises(twiml_rules.TwimlRuleError, match="not an absolute URL"):
        twiml_rules.check('<Response><Gather action="/gather"><Say>x</Say></Gather></Response>')
    # Rendered for a waitUrl document, the same turns keep to the verbs allowed there.
    assert twiml_rules.check(
        renderer.render([Say("Hola."), enqueue], 3, finished=False, in_queue=True), "wait"
    )
    record = Record((Say("Después del tono."),), 60, "#", "peticion", False)
    left = twiml_rules.check(renderer.render([record], 4, finished=False, in_queue=True), "wait")
    assert [verb.tag for verb in left] == ["Leave"]  # Record needs the caller out of the queue first
    dial = renderer.render([Transfer("official", "3")], 5, finished=True, in_queue=True)
    assert [verb.tag for verb in twiml_rules.check(dial, "wait")] == ["Leave"]
    gather = Gather((Say("Marque 1."),), 1, 1, 5, "")
    in_wait = twiml_rules.check(renderer.render([gather], 6, finished=False, in_queue=True), "wait")
    assert "in_queue=1" in in_wait[0].get("action", "")
