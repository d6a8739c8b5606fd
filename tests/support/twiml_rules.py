"""Twilio's documented TwiML verb rules, as a small table, and a checker for every document the 195
line sends (tests/integration/twilio_support.twiml runs it on every webhook answer).

From Twilio's TwiML Voice reference (twilio.com/docs/voice/twiml):
- `<Response>` holds verbs; `<Leave>` only makes sense for a caller in a queue.
- `<Enqueue waitUrl>` documents (and the answer to a Gather's action inside one) may hold only
  Play, Say, Pause, Hangup, Redirect, Leave and Gather (docs/voice/twiml/enqueue, "waitUrl").
- `<Gather>` nests only Say, Play and Pause (docs/voice/twiml/gather, "Nest other verbs").
- `<Dial>` holds one of its nouns (Client, Number, Sip, Queue, Conference) or a number as text;
  `<Client>` holds an identity (Voice SDK identities: letters, digits and underscore).
- `<Say>` holds text or SSML; `<Play>` and `<Redirect>` a URL; `<Enqueue>` a queue name of at most
  64 characters; `method` attributes are GET or POST; action URLs are absolute here (PUBLIC_BASE_URL).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Literal
from urllib.parse import urlsplit

Context = Literal["top", "wait"]
TOP_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Record", "Dial", "Enqueue", "Hangup", "Redirect",
                       "Reject", "Connect", "Start", "Stop", "Refer", "Pay", "Prompt"})  # fmt: skip
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})
GATHER_NESTED = frozenset({"Say", "Play", "Pause"})
DIAL_NOUNS = frozenset({"Client", "Number", "Sip", "Queue", "Conference"})
SSML = frozenset({"say-as", "break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "sub", "w"})
ATTRIBUTES: dict[str, frozenset[str]] = {
    "Say": frozenset({"voice", "language", "loop"}),
    "Play": frozenset({"loop", "digits"}),
    "Pause": frozenset({"length"}),
    "Hangup": frozenset(),
    "Leave": frozenset(),
    "Redirect": frozenset({"method"}),
    "Gather": frozenset({"action", "method", "timeout", "finishOnKey", "numDigits", "input", "language",
                         "actionOnEmptyResult", "hints", "speechTimeout", "profanityFilter", "bargeIn"}),
    "Record": frozenset({"action", "method", "timeout", "finishOnKey", "maxLength", "playBeep", "trim",
                         "recordingStatusCallback", "recordingStatusCallbackMethod",
                         "recordingStatusCallbackEvent", "transcribe", "transcribeCallback"}),
    "Dial": frozenset({"action", "method", "timeout", "callerId", "answerOnBridge", "hangupOnStar", "record",
                       "ringTone", "timeLimit", "trim", "recordingStatusCallback"}),
    "Enqueue": frozenset({"action", "method", "waitUrl", "waitUrlMethod", "workflowSid", "maxQueueSize"}),
    "Client": frozenset({"url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod"}),
}  # fmt: skip
URL_ATTRIBUTES = frozenset({"action", "waitUrl", "recordingStatusCallback", "transcribeCallback", "url"})
IDENTITY = re.compile(r"[A-Za-z0-9_]{1,121}")


class TwimlRuleError(AssertionError):
    pass


def check(xml: str | ET.Element, context: Context = "top") -> ET.Element:
    """Raise `TwimlRuleError` naming the first broken rule; returns the parsed document."""
    root = ET.fromstring(xml) if isinstance(xml, str) else xml
    _require(root.tag == "Response", f"the root is <{root.tag}>, not <Response>")
    allowed = WAIT_VERBS if context == "wait" else TOP_VERBS
    for verb in root:
        _require(verb.tag in allowed, f"<{verb.tag}> is not allowed in a {context} document")
        _check_verb(verb)
    return root


def _check_verb(verb: ET.Element) -> None:
    _attributes(verb)
    match verb.tag:
        case "Say":
            _require(bool("".join(verb.itertext()).strip()), "<Say> without text")
            _require(
                all(child.tag in SSML for child in verb.iter() if child is not verb), "<Say> holds non-SSML"
            )
        case "Play" | "Redirect":
            _absolute((verb.text or "").strip(), verb.tag)
            _require(len(verb) == 0, f"<{verb.tag}> holds elements")
        case "Gather":
            for child in verb:
                _require(child.tag in GATHER_NESTED, f"<Gather> cannot nest <{child.tag}>")
                _check_verb(child)
            _positive(verb, "numDigits")
            _positive(verb, "timeout")
        case "Record":
            _require(len(verb) == 0, "<Record> holds elements")
            _positive(verb, "maxLength")
        case "Enqueue":
            name = (verb.text or "").strip()
            _require(0 < len(name) <= 64, f"<Enqueue> queue name {name!r} (1 to 64 characters)")
        case "Dial":
            nouns = list(verb)
            _require(len(nouns) >= 1 or bool((verb.text or "").strip()), "<Dial> dials nothing")
            for noun in nouns:
                _require(noun.tag in DIAL_NOUNS, f"<Dial> cannot hold <{noun.tag}>")
                _attributes(noun)
                if noun.tag == "Client":
                    identity = (noun.text or "").strip()
                    _require(bool(IDENTITY.fullmatch(identity)), f"<Client> identity {identity!r}")
        case "Pause":
            _positive(verb, "length")
        case "Hangup" | "Leave":
            _require(len(verb) == 0 and not (verb.text or "").strip(), f"<{verb.tag}> holds content")


def _attributes(element: ET.Element) -> None:
    known = ATTRIBUTES.get(element.tag)
    if known is not None:
        unknown = set(element.attrib) - known
        _require(not unknown, f"<{element.tag}> has unknown attributes {sorted(unknown)}")
    for name, value in element.attrib.items():
        if name.lower().endswith("method"):
            _require(value in ("GET", "POST"), f"<{element.tag} {name}={value!r}>")
        if name in URL_ATTRIBUTES:
            _absolute(value, f"<{element.tag} {name}>")


def _positive(element: ET.Element, name: str) -> None:
    value = element.get(name)
    if value is not None:
        _require(
            value.isdigit() and int(value) > 0, f"<{element.tag} {name}={value!r}> is not a positive number"
        )


def _absolute(url: str, where: str) -> None:
    parts = urlsplit(url)
    _require(
        parts.scheme in ("http", "https") and bool(parts.netloc), f"{where}: {url!r} is not an absolute URL"
    )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TwimlRuleError(message)
