"""A simulated Asterisk for tests and the benchmark: an AMI server and a FastAGI caller.

``AmiPeer`` speaks AMI over real TCP the way Asterisk 22 does (banner, CRLF framing, ActionID
echo, EventList responses) and replays the events of the captured queued call. It keeps a small
queue model so QueueAdd/Remove/Pause show up in QueueStatus, and can misbehave on purpose:
drop every connection, stop answering pings, or swallow chosen actions.

``run_agi_call`` connects to a FastAGI server as Asterisk does, sends the captured environment
block and answers the server's commands from a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

EOL = "\r\n"
EOM = b"\r\n\r\n"
# Captured from a real Asterisk 22.10.1 (tests/fixtures/asterisk/README.md says how).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "asterisk"
AMI_CAPTURE = FIXTURES / "ami-queued-call-asterisk-22.10.1.txt"
AGI_ENVIRONMENT = FIXTURES / "fastagi-environment-asterisk-22.10.1.txt"


# -- the capture -----------------------------------------------------------------------------
@dataclass(frozen=True)
class AmiCapture:
    banner: str
    events: tuple[bytes, ...]  # each one message, CRLF framed exactly as Asterisk sent it

    def names(self) -> list[str]:
        return [_headers(raw)["Event"] for raw in self.events]


def load_capture(path: Path = AMI_CAPTURE) -> AmiCapture:
    """Split the capture into messages; keep the events (responses answered the recorder)."""
    data = path.read_bytes()
    banner, _, rest = data.partition(EOL.encode())
    events = []
    for block in rest.split(EOM):
        block = block.strip(b"\r\n")
        if block.startswith(b"Event:"):
            events.append(block + EOM)
    return AmiCapture(banner=banner.decode(), events=tuple(events))


def _headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode().split(EOL):
        key, sep, value = line.partition(": ")
        if sep:
            headers.setdefault(key, value)
    return headers


def _message(*pairs: tuple[str, object]) -> bytes:
    return (EOL.join(f"{k}: {v}" for k, v in pairs) + EOL + EOL).encode()


# -- the AMI server --------------------------------------------------------------------------
@dataclass
class Member:
    name: str
    paused: bool = False
    reason: str = ""
    penalty: int = 0
    status: int = 1  # NOT_INUSE


@dataclass
class Caller:
    uniqueid: str
    channel: str
    caller_id: str
    wait: int = 0


ANSWERED = 4  # OriginateResponse Reason of an answered call (Asterisk's AST_CONTROL_ANSWER)
REFUSED = -1  # in `originate_reasons`: the action itself answers Response: Error, no call is placed


@dataclass
class PeerState:
    members: dict[str, dict[str, Member]] = field(
        default_factory=lambda: {"support": {"Local/1001@agents/n": Member("Agent1001")}}
    )
    callers: dict[str, list[Caller]] = field(
        default_factory=lambda: {
            "support": [Caller("1795476467.5", "Local/s@test-00000002;2", "3001234567", 12)]
        }
    )
    channels: list[dict[str, str]] = field(
        default_factory=lambda: [
            {
                "Channel": "Local/s@test-00000002;2",
                "Uniqueid": "1795476467.5",
                "Linkedid": "1795476467.4",
                "ChannelStateDesc": "Up",
                "CallerIDNum": "3001234567",
                "CallerIDName": "Peña Ñáñez",
                "Context": "test",
                "Exten": "s",
                "Application": "Queue",
                "BridgeId": "",
                "Duration": "00:00:12",
            },
        ]
    )

    # OriginateResponse Reason of each Originate in turn (3 no answer, 5 busy, or REFUSED); then 4,
    # answered.
    originate_reasons: list[int] = field(default_factory=list)


class AmiPeer:
    """An AMI server on 127.0.0.1 (ephemeral port)."""

    def __init__(
        self,
        capture: AmiCapture | None = None,
        *,
        username: str = "pasto195",
        secret: str = "s3cret",
        state: PeerState | None = None,
        port: int = 0,
    ) -> None:
        self.capture = capture or load_capture()
        self._port = port
        self.username = username
        self.secret = secret
        self.state = state or PeerState()
        self.answer_pings = True
        self.swallow: set[str] = set()  # action names (lower case) never answered
        self.actions: list[dict[str, str]] = []
        self.connections = 0
        self.logins = 0
        self._clients: set[asyncio.StreamWriter] = set()
        self._logged_in: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self._serving: set[asyncio.Task[None]] = set()

    # lifecycle
    async def start(self) -> AmiPeer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self._port)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop()
        # Let each connection task see its EOF and end: cancelling them instead makes
        # Python 3.11's StreamReaderProtocol log a spurious CancelledError.
        if self._serving:
            await asyncio.wait(self._serving, timeout=1.0)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AmiPeer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # misbehaviour
    def drop(self) -> None:
        """Close every client connection at once, as a crashing Asterisk would."""
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        self._logged_in.clear()

    def go_silent(self) -> None:
        """Keep the TCP connection open but stop answering pings: a half-dead link."""
        self.answer_pings = False

    async def wait_logins(self, count: int, within_s: float = 2.0) -> None:
        async with asyncio.timeout(within_s):
            while self.logins < count:  # noqa: ASYNC110 - polling a counter is enough in tests
                await asyncio.sleep(0.005)

    def actions_named(self, name: str) -> list[dict[str, str]]:
        return [a for a in self.actions if a.get("Action", "").lower() == name.lower()]

    # replay
    async def replay(self, times: int = 1) -> int:
        """Send the captured events ``times`` over, back to back, to every logged-in client."""
        return await self.send_events(self.capture.events * times)

    async def burst(self, count: int) -> int:
        """Send exactly ``count`` events (the capture cycled) in one write per client."""
        events = self.capture.events
        cycled = (events * (count // len(events) + 1))[:count]
        return await self.send_events(cycled)

    async def send_events(self, events: Iterable[bytes]) -> int:
        payload = list(events)
        data = b"".join(payload)
        for writer in list(self._logged_in):
            writer.write(data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        return len(payload)

    # the protocol
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)
        self._clients.add(writer)
        writer.write(f"{self.capture.banner}{EOL}".encode())
        try:
            while True:
                raw = await reader.readuntil(EOM)
                action = _parse_action(raw)
                self.actions.append(action)
                await self._answer(action, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._clients.discard(writer)
            self._logged_in.discard(writer)
            writer.close()

    async def _answer(self, action: Mapping[str, str], writer: asyncio.StreamWriter) -> None:
        name = action.get("Action", "").lower()
        action_id = action.get("ActionID", "")
        if name in self.swallow:
            return
        if name == "login":
            writer.write(self._login(action, writer))
        elif writer not in self._logged_in:
            writer.write(_error(action_id, "Authentication Required"))
        elif name == "ping":
            if self.answer_pings:
                writer.write(_message(("Response", "Success"), ("ActionID", action_id),
                                      ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")))  # fmt: skip
        else:
            writer.write(_dispatch(self.state, name, action))
        await writer.drain()

    def _login(self, action: Mapping[str, str], writer: asyncio.StreamWriter) -> bytes:
        action_id = action.get("ActionID", "")
        if (action.get("Username"), action.get("Secret")) != (self.username, self.secret):
            return _error(action_id, "Authentication failed")
        self.logins += 1
        self._logged_in.add(writer)
        accepted = _message(("Response", "Success"), ("ActionID", action_id),
                            ("Message", "Authentication accepted"))  # fmt: skip
        booted = _message(("Event", "FullyBooted"), ("Privilege", "system,all"),
                          ("Status", "Fully Booted"))  # fmt: skip
        return accepted + booted


def _parse_action(raw: bytes) -> dict[str, str]:
    action: dict[str, str] = {}
    for line in raw.decode().split(EOL):
        key, sep, value = line.partition(": ")
        if sep:  # repeated keys (Variable) are joined, enough for assertions
            action[key] = f"{action[key]}|{value}" if key in action else value
    return action


def _error(action_id: str, message: str) -> bytes:
    return _message(("Response", "Error"), ("ActionID", action_id), ("Message", message))


def _success(action_id: str, message: str) -> bytes:
    return _message(("Response", "Success"), ("ActionID", action_id), ("Message", message))


def _dispatch(state: PeerState, name: str, action: Mapping[str, str]) -> bytes:
    handlers = {
        "queuestatus": _queue_status,
        "coreshowchannels": _core_show_channels,
        "queueadd": _queue_add,
        "queueremove": _queue_remove,
        "queuepause": _queue_pause,
        "originate": _originate,
        "redirect": _channel_action,
        "hangup": _channel_action,
        "setvar": _channel_action,
    }
    handler = handlers.get(name)
    if handler is None:
        return _error(action.get("ActionID", ""), "Invalid/unknown command")
    return handler(state, action)


def _event_list(action_id: str, message: str, items: Sequence[bytes], complete: str) -> bytes:
    start = _message(("Response", "Success"), ("ActionID", action_id), ("EventList", "start"),
                     ("Message", message))  # fmt: skip
    end = _message(("Event", complete), ("ActionID", action_id), ("EventList", "Complete"),
                   ("ListItems", len(items)))  # fmt: skip
    return start + b"".join(items) + end


def _queue_status(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id = action.get("ActionID", "")
    wanted = action.get("Queue")
    items: list[bytes] = []
    for queue, members in state.members.items():
        if wanted and queue != wanted:
            continue
        callers = state.callers.get(queue, [])
        items.append(_message(
            ("Event", "QueueParams"), ("Queue", queue), ("Max", 0), ("Strategy", "rrmemory"),
            ("Calls", len(callers)), ("Holdtime", 4), ("TalkTime", 3), ("Completed", 2),
            ("Abandoned", 1), ("ServiceLevel", 20), ("ServicelevelPerf", "66.7"),
            ("ServicelevelPerf2", "50.0"), ("Weight", 0), ("ActionID", action_id)))  # fmt: skip
        for interface, m in members.items():
            items.append(_message(
                ("Event", "QueueMember"), ("Queue", queue), ("Name", m.name),
                ("Location", interface), ("StateInterface", interface), ("Membership", "dynamic"),
                ("Penalty", m.penalty), ("CallsTaken", 2), ("LastCall", 0), ("LastPause", 0),
                ("LoginTime", 0), ("InCall", 0), ("Status", m.status), ("Paused", int(m.paused)),
                ("PausedReason", m.reason), ("Wrapuptime", 0), ("ActionID", action_id)))  # fmt: skip
        for position, c in enumerate(callers, start=1):
            items.append(_message(
                ("Event", "QueueEntry"), ("Queue", queue), ("Position", position),
                ("Channel", c.channel), ("Uniqueid", c.uniqueid), ("CallerIDNum", c.caller_id),
                ("CallerIDName", "<unknown>"), ("ConnectedLineNum", "<unknown>"),
                ("ConnectedLineName", "<unknown>"), ("Wait", c.wait), ("Priority", 0),
                ("ActionID", action_id)))  # fmt: skip
    return _event_list(action_id, "Queue status will follow", items, "QueueStatusComplete")


def _core_show_channels(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id = action.get("ActionID", "")
    items = [
        _message(("Event", "CoreShowChannel"), ("ActionID", action_id), *channel.items())
        for channel in state.channels
    ]
    return _event_list(action_id, "Channels will follow", items, "CoreShowChannelsComplete")


def _queue_add(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id, queue, interface = action.get("ActionID", ""), action["Queue"], action["Interface"]
    members = state.members.setdefault(queue, {})
    if interface in members:
        return _error(action_id, "Unable to add interface: Already there")
    members[interface] = Member(
        action.get("MemberName", interface),
        paused=action.get("Paused") == "true",
        penalty=int(action.get("Penalty", "0")),
    )
    return _success(action_id, "Added interface to queue")


def _queue_remove(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id, queue, interface = action.get("ActionID", ""), action["Queue"], action["Interface"]
    if state.members.get(queue, {}).pop(interface, None) is None:
        return _error(action_id, "Unable to remove interface: Not there")
    return _success(action_id, "Removed interface from queue")


def _queue_pause(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id, interface = action.get("ActionID", ""), action["Interface"]
    member = state.members.get(action.get("Queue", ""), {}).get(interface)
    if member is None:
        return _error(action_id, "Interface not found")
    member.paused = action.get("Paused") == "true"
    member.reason = action.get("Reason", "") if member.paused else ""
    event = _message(
        ("Event", "QueueMemberPause"), ("Queue", action["Queue"]), ("MemberName", member.name),
        ("Interface", interface), ("Paused", int(member.paused)), ("PausedReason", member.reason),
    )  # fmt: skip
    word = "paused" if member.paused else "unpaused"
    return _success(action_id, f"Interface {word} successfully") + event


def _channel_action(state: PeerState, action: Mapping[str, str]) -> bytes:
    """Redirect, Hangup and Setvar on a live channel (one the peer lists in `state.channels`)."""
    action_id, channel = action.get("ActionID", ""), action.get("Channel", "")
    if channel not in {c["Channel"] for c in state.channels}:
        return _error(action_id, "No such channel")
    return _success(action_id, f"{action.get('Action')} successful")


def _originate(state: PeerState, action: Mapping[str, str]) -> bytes:
    action_id = action.get("ActionID", "")
    reason = state.originate_reasons.pop(0) if state.originate_reasons else ANSWERED
    if reason == REFUSED:  # as Asterisk 22 answers an Originate into a context it does not have
        return _error(action_id, "Extension does not exist.")
    result = _message(
        ("Event", "OriginateResponse"), ("Privilege", "call,all"), ("ActionID", action_id),
        ("Response", "Success" if reason == ANSWERED else "Failure"), ("Channel", action.get("Channel", "")),
        ("Context", action.get("Context", "")), ("Exten", action.get("Exten", "")),
        ("Reason", reason), ("Uniqueid", "1795476999.42" if reason == ANSWERED else "<null>"),
        ("CallerIDNum", "<unknown>"), ("CallerIDName", "<unknown>"),
    )  # fmt: skip
    return _success(action_id, "Originate successfully queued") + result


# -- the FastAGI caller ----------------------------------------------------------------------
HANG_UP = "<close the socket>"
NO_REPLY = "<say nothing>"


@dataclass
class AgiCall:
    """What the simulated Asterisk saw: the commands, and whether the server closed first."""

    commands: list[str] = field(default_factory=list)
    closed_by_server: bool = False


def environment_block(path: Path = AGI_ENVIRONMENT, **overrides: str) -> bytes:
    """The captured environment block, optionally with some ``agi_*`` values replaced."""
    lines = []
    for line in path.read_text().splitlines():
        key, sep, _ = line.partition(": ")
        if sep and key[4:] in overrides:
            line = f"{key}: {overrides[key[4:]]}"
        if line:
            lines.append(line)
    return ("\n".join(lines) + "\n\n").encode()


async def run_agi_call(
    port: int,
    script: Sequence[tuple[str, str]],
    *,
    environment: bytes | None = None,
    within_s: float = 2.0,
) -> AgiCall:
    """Call the AGI server on ``port`` and answer its commands in ``script`` order.

    Each step is ``(expected command prefix, reply)``; the reply may hold several lines
    ("HANGUP\\n200 result=-1"), be ``HANG_UP`` to close the socket as a hung-up channel does, or
    ``NO_REPLY`` to leave the command unanswered.
    Commands past the end of the script get ``510 Invalid or unknown command``.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    call = AgiCall()
    writer.write(environment if environment is not None else environment_block())
    steps = list(script)
    try:
        async with asyncio.timeout(within_s):
            while True:
                line = await reader.readline()
                if not line:
                    call.closed_by_server = True
                    break
                text = line.decode().rstrip("\n")
                call.commands.append(text)
                if not steps:
                    writer.write(b"510 Invalid or unknown command\n")
                    continue
                expected, reply = steps.pop(0)
                assert text.startswith(expected), f"expected {expected!r}, got {text!r}"
                if reply == HANG_UP:
                    break
                if reply == NO_REPLY:
                    continue
                writer.write(f"{reply}\n".encode())
                await writer.drain()
    finally:
        writer.close()
    return call
