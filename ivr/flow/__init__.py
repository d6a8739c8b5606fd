"""Channel-neutral IVR flows: validated YAML data and a pure interpreter.

The Twilio (TwiML) and Asterisk (FastAGI) adapters run the same flows:

    flows = load_flows()                          # at start-up; raises FlowValidationError
    state = new_call(flows["linea195"])
    result = advance(flow, state, CallStarted("+573001234567"))
    # persist result.state.to_json(), log result.transitions, render result.actions;
    # answer host requests (Lookup, CheckHours, FilePqrd) by advancing again with their result.

No I/O happens here: stdlib, pydantic and pyyaml only.
"""

from ivr.flow.actions import (
    ACTIONS_JSON,
    HOST_REQUESTS,
    Action,
    CheckHours,
    Enqueue,
    FilePqrd,
    Gather,
    Hangup,
    Lookup,
    OfferCallback,
    Play,
    PromptAction,
    Record,
    Say,
    SayDigits,
    ScheduleCallback,
    Transfer,
)
from ivr.flow.errors import FlowIssue, FlowValidationError, UnexpectedEvent
from ivr.flow.events import (
    AgentReady,
    CallbackAccepted,
    CallerHangup,
    CallStarted,
    Digits,
    Event,
    HoursResult,
    LookupResult,
    NoInput,
    PqrdFiled,
    QueueUpdate,
    RecordingDone,
)
from ivr.flow.interpreter import advance, expected_events, new_call
from ivr.flow.loader import DEFAULT_FLOW_ID, DEFAULT_FLOWS_DIR, load_flow, load_flows, parse_flow
from ivr.flow.schema import Flow
from ivr.flow.state import Advance, FlowState, Transition
from ivr.flow.templates import spanish_date

__all__ = [
    "ACTIONS_JSON", "DEFAULT_FLOWS_DIR", "DEFAULT_FLOW_ID", "HOST_REQUESTS", "Action", "Advance",
    "AgentReady", "CallStarted", "CallbackAccepted", "CallerHangup", "CheckHours", "Digits",
    "Enqueue", "Event", "FilePqrd", "Flow", "FlowIssue", "FlowState", "FlowValidationError",
    "Gather", "Hangup", "HoursResult", "Lookup", "LookupResult", "NoInput", "OfferCallback", "Play",
    "PqrdFiled", "PromptAction", "QueueUpdate", "Record", "RecordingDone", "Say", "SayDigits",
    "ScheduleCallback", "Transfer", "Transition", "UnexpectedEvent", "advance", "expected_events",
    "load_flow", "load_flows", "new_call", "parse_flow", "spanish_date",
]  # fmt: skip
