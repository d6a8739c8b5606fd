"""Typed, channel-neutral call events parsed from raw AMI events.

The host applies these to conversations and queue statistics. Every event Asterisk may send is
in exactly one of two tables: ``_PARSERS`` (typed) or ``IGNORED_EVENTS`` (known and irrelevant);
anything else is *unknown*, which ``classify`` reports so the client can log it once and count it.

Idempotency: ``uniqueid`` identifies one channel (one leg), ``linkedid`` the whole call (all legs
share the Linkedid of the first channel), so a conversation maps to ``linkedid``. ``key`` adds the
event kind, the member interface and the Asterisk timestamp so that a replayed event is harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.asterisk.fields import Fields


class Disposition(enum.Enum):
    TYPED = "typed"
    IGNORED = "ignored"
    UNKNOWN = "unknown"


class DeviceStatus(enum.IntEnum):
    """``Status`` of a queue member (Asterisk's ``ast_device_state``)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent:
    """Base of events about one channel of a call."""

    uniqueid: str
    linkedid: str
    channel: str
    timestamp: float | None

    @property
    def key(self) -> str:
        return f"{type(self).__name__}:{self.uniqueid}:{self.timestamp}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCreated(ChannelEvent):
    caller_id_num: str | None
    caller_id_name: str | None
    context: str
    exten: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHungUp(ChannelEvent):
    cause: int
    cause_text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerJoinedQueue(ChannelEvent):
    queue: str
    caller_id_num: str | None
    caller_id_name: str | None
    position: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerLeftQueue(ChannelEvent):
    queue: str
    position: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerAbandoned(ChannelEvent):
    queue: str
    position: int
    original_position: int
    hold_time: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent(ChannelEvent):
    """Base of events about a queue member and the caller's channel (``uniqueid``)."""

    queue: str
    interface: str
    member_name: str

    @property
    def key(self) -> str:
        # A caller may ring the same member several times (retries): the timestamp tells them apart.
        return f"{type(self).__name__}:{self.uniqueid}:{self.interface}:{self.timestamp}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCalled(AgentEvent):
    agent_uniqueid: str | None
    agent_channel: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(AgentEvent):
    ring_time_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnected(AgentEvent):
    agent_uniqueid: str | None
    hold_time: int
    ring_time: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCompleted(AgentEvent):
    hold_time: int
    talk_time: int
    reason: str  # "caller", "agent" or "transfer": who ended it


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberEvent:
    """Base of events about a queue member, with no call attached."""

    queue: str
    interface: str
    member_name: str
    timestamp: float | None

    @property
    def key(self) -> str:
        return f"{type(self).__name__}:{self.queue}:{self.interface}:{self.timestamp}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberStatusChanged(MemberEvent):
    status: DeviceStatus
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberPaused(MemberEvent):
    paused: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberAdded(MemberEvent):
    paused: bool
    penalty: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRemoved(MemberEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateResult:
    """Outcome of an ``Async`` Originate (a callback): answered or not, and the new channel."""

    action_id: str
    success: bool
    reason: int  # 4 answered, 5 busy, 3 no answer, 8 congestion, 0 failure
    uniqueid: str | None
    channel: str
    timestamp: float | None

    @property
    def key(self) -> str:
        return f"OriginateResult:{self.action_id}"


CallEvent = (
    ChannelCreated
    | ChannelHungUp
    | CallerJoinedQueue
    | CallerLeftQueue
    | CallerAbandoned
    | AgentCalled
    | AgentRingNoAnswer
    | AgentConnected
    | AgentCompleted
    | MemberStatusChanged
    | MemberPaused
    | MemberAdded
    | MemberRemoved
    | OriginateResult
)


def _channel(f: Fields) -> dict[str, Any]:
    return {
        "uniqueid": f.text("uniqueid"),
        "linkedid": f.text("linkedid", f.text("uniqueid")),
        "channel": f.text("channel", ""),
        "timestamp": f.timestamp(),
    }


def _agent(f: Fields) -> dict[str, Any]:
    return {
        **_channel(f),
        "queue": f.text("queue"),
        "interface": f.text("interface"),
        "member_name": f.text("membername", ""),
    }


def _member(f: Fields) -> dict[str, Any]:
    return {
        "queue": f.text("queue"),
        "interface": f.text("interface"),
        "member_name": f.text("membername", ""),
        "timestamp": f.timestamp(),
    }


def _channel_created(f: Fields) -> CallEvent:
    return ChannelCreated(
        **_channel(f),
        caller_id_num=f.optional("calleridnum"),
        caller_id_name=f.optional("calleridname"),
        context=f.text("context", ""),
        exten=f.text("exten", ""),
    )


def _hangup(f: Fields) -> CallEvent:
    return ChannelHungUp(**_channel(f), cause=f.integer("cause", 0), cause_text=f.text("cause-txt", ""))


def _caller_join(f: Fields) -> CallEvent:
    return CallerJoinedQueue(
        **_channel(f),
        queue=f.text("queue"),
        caller_id_num=f.optional("calleridnum"),
        caller_id_name=f.optional("calleridname"),
        position=f.integer("position"),
        count=f.integer("count"),
    )


def _caller_leave(f: Fields) -> CallEvent:
    return CallerLeftQueue(
        **_channel(f),
        queue=f.text("queue"),
        position=f.integer("position"),
        count=f.integer("count"),
    )


def _caller_abandon(f: Fields) -> CallEvent:
    return CallerAbandoned(
        **_channel(f),
        queue=f.text("queue"),
        position=f.integer("position"),
        original_position=f.integer("originalposition", 0),
        hold_time=f.integer("holdtime", 0),
    )


def _agent_called(f: Fields) -> CallEvent:
    return AgentCalled(
        **_agent(f),
        agent_uniqueid=f.optional("destuniqueid"),
        agent_channel=f.optional("destchannel"),
    )


def _agent_ring_no_answer(f: Fields) -> CallEvent:
    return AgentRingNoAnswer(**_agent(f), ring_time_ms=f.integer("ringtime", 0))


def _agent_connect(f: Fields) -> CallEvent:
    return AgentConnected(
        **_agent(f),
        agent_uniqueid=f.optional("destuniqueid"),
        hold_time=f.integer("holdtime", 0),
        ring_time=f.integer("ringtime", 0),
    )


def _agent_complete(f: Fields) -> CallEvent:
    return AgentCompleted(
        **_agent(f),
        hold_time=f.integer("holdtime", 0),
        talk_time=f.integer("talktime", 0),
        reason=f.text("reason", ""),
    )


def _member_status(f: Fields) -> CallEvent:
    return MemberStatusChanged(
        **_member(f),
        status=device_status(f.integer("status", 0)),
        paused=f.flag("paused"),
        paused_reason=f.text("pausedreason", ""),
        in_call=f.flag("incall"),
        calls_taken=f.integer("callstaken", 0),
    )


def device_status(value: int) -> DeviceStatus:
    try:
        return DeviceStatus(value)
    except ValueError:  # a newer Asterisk may add states; do not drop the event for it
        return DeviceStatus.UNKNOWN


def _member_pause(f: Fields) -> CallEvent:
    return MemberPaused(**_member(f), paused=f.flag("paused"), reason=f.text("pausedreason", ""))


def _member_added(f: Fields) -> CallEvent:
    return MemberAdded(**_member(f), paused=f.flag("paused"), penalty=f.integer("penalty", 0))


def _member_removed(f: Fields) -> CallEvent:
    return MemberRemoved(**_member(f))


def _originate_response(f: Fields) -> CallEvent:
    return OriginateResult(
        action_id=f.text("actionid", ""),
        success=f.text("response", "").lower() == "success",
        reason=f.integer("reason", 0),
        uniqueid=f.optional("uniqueid"),
        channel=f.text("channel", ""),
        timestamp=f.timestamp(),
    )


_PARSERS: Mapping[str, Callable[[Fields], CallEvent]] = {
    "newchannel": _channel_created,
    "hangup": _hangup,
    "queuecallerjoin": _caller_join,
    "queuecallerleave": _caller_leave,
    "queuecallerabandon": _caller_abandon,
    "agentcalled": _agent_called,
    "agentringnoanswer": _agent_ring_no_answer,
    "agentconnect": _agent_connect,
    "agentcomplete": _agent_complete,
    "queuememberstatus": _member_status,
    "queuememberpause": _member_pause,
    "queuememberadded": _member_added,
    "queuememberremoved": _member_removed,
    "originateresponse": _originate_response,
}

# Known events that carry nothing the conversations or statistics need (dialplan steps,
# bridges, CDRs, security notices...). Listed so that ignoring them is a decision.
IGNORED_EVENTS = frozenset(
    name.lower()
    for name in (
        "FullyBooted",
        "SuccessfulAuth",
        "ChallengeSent",
        "InvalidPassword",
        "FailedACL",
        "Newexten",
        "Newstate",
        "NewCallerid",
        "NewConnectedLine",
        "NewAccountCode",
        "VarSet",
        "AGIExecStart",
        "AGIExecEnd",
        "AsyncAGIStart",
        "AsyncAGIExec",
        "AsyncAGIEnd",
        "HangupRequest",
        "SoftHangupRequest",
        "HangupHandlerRun",
        "HangupHandlerPush",
        "DialBegin",
        "DialState",
        "DialEnd",
        "LocalBridge",
        "LocalOptimizationBegin",
        "LocalOptimizationEnd",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "BridgeMerge",
        "BridgeVideoSourceUpdate",
        "DeviceStateChange",
        "ExtensionStatus",
        "PresenceStateChange",
        "Cdr",
        "CEL",
        "RTCPSent",
        "RTCPReceived",
        "DTMFBegin",
        "DTMFEnd",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "Hold",
        "Unhold",
        "PeerStatus",
        "ContactStatus",
        "Registry",
        "Reload",
        "LoadAverageLimit",
        "MessageWaiting",
        "QueueMemberPenalty",
        "QueueMemberRinginuse",
        "AttendedTransfer",
        "BlindTransfer",
        "Pickup",
        "ChanSpyStart",
        "ChanSpyStop",
        "MixMonitorStart",
        "MixMonitorStop",
        "UserEvent",
    )
)


def classify(name: str) -> Disposition:
    lowered = name.lower()
    if lowered in _PARSERS:
        return Disposition.TYPED
    return Disposition.IGNORED if lowered in IGNORED_EVENTS else Disposition.UNKNOWN


def parse_event(raw: Mapping[str, Any]) -> CallEvent | None:
    """The typed event for ``raw``, or ``None`` when its kind is ignored or unknown.

    Raises ``MalformedAmiEvent`` when a typed kind lacks a field it needs.
    """
    parser = _PARSERS.get(event_name(raw).lower())
    # Fields() copies the message: only pay for it on the few kinds we type.
    return parser(Fields(raw)) if parser is not None else None


def event_name(raw: Mapping[str, Any]) -> str:
    name = raw.get("Event") or raw.get("event") or ""
    return str(name)
