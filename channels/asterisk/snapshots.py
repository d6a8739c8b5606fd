"""Typed snapshots from the ``QueueStatus`` and ``CoreShowChannels`` event lists.

After a reconnect the host cannot know what it missed; it rebuilds its view of queues and live
channels from these snapshots, then carries on with the event stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from channels.asterisk.events import DeviceStatus, device_status, event_name
from channels.asterisk.fields import Fields


@dataclass(frozen=True, slots=True)
class QueueMemberSnapshot:
    interface: str
    member_name: str
    status: DeviceStatus
    paused: bool
    paused_reason: str
    in_call: bool
    calls_taken: int
    penalty: int


@dataclass(frozen=True, slots=True)
class QueueEntrySnapshot:
    """A caller waiting in the queue."""

    uniqueid: str
    channel: str
    position: int
    caller_id_num: str | None
    caller_id_name: str | None
    wait_seconds: int


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    name: str
    strategy: str
    calls: int
    hold_time: int
    talk_time: int
    completed: int
    abandoned: int
    service_level_seconds: int
    service_level_perf: float
    members: tuple[QueueMemberSnapshot, ...]
    entries: tuple[QueueEntrySnapshot, ...]


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    uniqueid: str
    linkedid: str
    channel: str
    state: str
    caller_id_num: str | None
    caller_id_name: str | None
    context: str
    exten: str
    application: str
    bridge_id: str | None
    duration: str  # HH:MM:SS as Asterisk reports it


def _member(f: Fields) -> QueueMemberSnapshot:
    return QueueMemberSnapshot(
        interface=f.text("location", f.text("interface", "")),
        member_name=f.text("name", f.text("membername", "")),
        status=device_status(f.integer("status", 0)),
        paused=f.flag("paused"),
        paused_reason=f.text("pausedreason", ""),
        in_call=f.flag("incall"),
        calls_taken=f.integer("callstaken", 0),
        penalty=f.integer("penalty", 0),
    )


def _entry(f: Fields) -> QueueEntrySnapshot:
    return QueueEntrySnapshot(
        uniqueid=f.text("uniqueid"),
        channel=f.text("channel", ""),
        position=f.integer("position"),
        caller_id_num=f.optional("calleridnum"),
        caller_id_name=f.optional("calleridname"),
        wait_seconds=f.integer("wait", 0),
    )


def _float(f: Fields, key: str) -> float:
    try:
        return float(f.text(key, "0") or 0)
    except ValueError:
        return 0.0


def _queue(f: Fields, members: list[QueueMemberSnapshot], entries: list[QueueEntrySnapshot]) -> QueueSnapshot:
    return QueueSnapshot(
        name=f.text("queue"),
        strategy=f.text("strategy", ""),
        calls=f.integer("calls", 0),
        hold_time=f.integer("holdtime", 0),
        talk_time=f.integer("talktime", 0),
        completed=f.integer("completed", 0),
        abandoned=f.integer("abandoned", 0),
        service_level_seconds=f.integer("servicelevel", 0),
        service_level_perf=_float(f, "servicelevelperf"),
        members=tuple(members),
        entries=tuple(sorted(entries, key=lambda e: e.position)),
    )


def parse_queue_status(messages: Iterable[Mapping[str, Any]]) -> tuple[QueueSnapshot, ...]:
    """Group the QueueParams / QueueMember / QueueEntry items of one QueueStatus by queue."""
    params: dict[str, Fields] = {}
    members: dict[str, list[QueueMemberSnapshot]] = {}
    entries: dict[str, list[QueueEntrySnapshot]] = {}
    for raw in messages:
        kind = event_name(raw).lower()
        if kind not in {"queueparams", "queuemember", "queueentry"}:
            continue  # the response header and QueueStatusComplete
        f = Fields(raw)
        queue = f.text("queue")
        if kind == "queueparams":
            params[queue] = f
        elif kind == "queuemember":
            members.setdefault(queue, []).append(_member(f))
        else:
            entries.setdefault(queue, []).append(_entry(f))
    return tuple(_queue(f, members.get(name, []), entries.get(name, [])) for name, f in params.items())


def parse_core_show_channels(messages: Iterable[Mapping[str, Any]]) -> tuple[ChannelSnapshot, ...]:
    return tuple(_channel(Fields(raw)) for raw in messages if event_name(raw).lower() == "coreshowchannel")


def _channel(f: Fields) -> ChannelSnapshot:
    return ChannelSnapshot(
        uniqueid=f.text("uniqueid"),
        linkedid=f.text("linkedid", f.text("uniqueid")),
        channel=f.text("channel", ""),
        state=f.text("channelstatedesc", ""),
        caller_id_num=f.optional("calleridnum"),
        caller_id_name=f.optional("calleridname"),
        context=f.text("context", ""),
        exten=f.text("exten", ""),
        application=f.text("application", ""),
        bridge_id=f.optional("bridgeid"),
        duration=f.text("duration", ""),
    )
