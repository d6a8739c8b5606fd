"""Every TwiML document the line can send, checked against Twilio's verb rules: a crawler walks the
flows as Twilio would (signed webhooks, a fresh call per path), following every Gather with the keys
its prompt offers plus silence and a wrong key, every Record with and without a recording, every
Enqueue's wait URL and each QueueResult, every Dial's answered and missed results. Each answer is
checked for its context by `twilio_support.twiml` (tests/support/twiml_rules.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import count
from typing import Any

from aiohttp.test_utils import TestClient

from tests.integration import twilio_support
from tests.integration.twilio_support import BASE, call_params, twiml

line = twilio_support.seeded_line(reload_router=True)
Step = tuple[str, dict[str, str]]
MAX_DOCUMENTS = 200
MAX_DEPTH = 12
QUEUE_RESULTS = ("leave", "redirected", "bridged", "hangup", "queue-full", "error", "system-error")
_sids = count()


def _shape(root: ET.Element) -> str:
    """A document without its call-specific numbers: two paths reaching the same turn match."""
    return re.sub(r"step=\d+|\d{6,}", "#", ET.tostring(root, encoding="unicode"))


def _next_steps(root: ET.Element) -> list[Step]:
    steps: list[Step] = []
    for gather in root.iter("Gather"):
        action = gather.get("action", "")
        text = " ".join(gather.itertext())
        keys = [*sorted(set(re.findall(r"marque (\d)", text))), "", "7"]
        if gather.get("finishOnKey"):
            keys += ["2026000000001#", "3001234567#"]
        steps += [(action, {"Digits": key}) for key in keys]
    for record in root.iter("Record"):
        recording = {"RecordingUrl": "https://api.twilio.com/RE1", "RecordingDuration": "20"}
        steps += [
            (record.get("action", ""), recording),
            (record.get("action", ""), {"RecordingDuration": "0"}),
        ]
    for enqueue in root.iter("Enqueue"):
        steps += [(enqueue.get("waitUrl", ""), {"QueueTime": "95", "QueuePosition": "1"})]
        steps += [(enqueue.get("action", ""), {"QueueResult": result}) for result in QUEUE_RESULTS]
    for dial in root.iter("Dial"):
        for outcome in ("completed", "no-answer"):
            steps.append((dial.get("action", ""), {"DialCallStatus": outcome, "DialCallSid": "CAdial"}))
    if root.find("Leave") is not None:
        steps.append((f"{BASE}/channels/twilio/queue-result", {"QueueResult": "leave"}))
    for redirect in root.iter("Redirect"):
        steps.append(((redirect.text or "").strip(), {}))
    return [(url, params) for url, params in steps if url]


def _trailing_silences(path: list[Step]) -> int:
    silences = 0
    for _, params in reversed(path):
        if params.get("Digits") != "" and params.get("RecordingDuration") != "0":
            break
        silences += 1
    return silences


async def _replay(line: TestClient[Any, Any], path: list[Step]) -> ET.Element:
    sid = f"CAwalk{next(_sids):028d}"
    root = await twiml(line, "/channels/twilio/voice", call_params(sid))
    for url, params in path:
        root = await twiml(line, url, call_params(sid, **params))
    return root


async def test_every_document_of_the_flows_obeys_twilios_verb_rules(line: TestClient[Any, Any]) -> None:
    seen: set[str] = set()
    verbs: set[str] = set()
    frontier: list[list[Step]] = [[]]
    while frontier and len(seen) < MAX_DOCUMENTS:
        path = frontier.pop(0)
        root = await _replay(line, path)  # each answer checked against the rules on the way
        # Silence retried is hidden state (the node's retry count): the same document after one
        # more silence is a different place in the flow, up to the node's fallback.
        shape = f"{_shape(root)}|{_trailing_silences(path)}"
        if shape in seen:
            continue
        seen.add(shape)
        verbs |= {verb.tag for verb in root}
        if len(path) < MAX_DEPTH:
            frontier += [[*path, step] for step in _next_steps(root)]
    # The walk reached every kind of document the line sends without an official (the Dial and Leave
    # documents, which need one, are checked by the tests that connect officials).
    assert {"Say", "Gather", "Record", "Enqueue", "Hangup", "Play"} <= verbs, verbs
    assert len(seen) >= 30
