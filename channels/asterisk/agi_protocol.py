"""The FastAGI wire format: the environment block, command quoting and reply lines (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

HANGUP_LINE = "HANGUP"
# 511: "Command Not Permitted on a dead channel or intercepted by a hangup handler".
DEAD_CHANNEL = 511
USAGE_ERROR = 520

_REPLY = re.compile(r"^(?P<status>\d{3})(?P<sep>[ -]?)(?P<rest>.*)$")
_RESULT = re.compile(r"^result=(?P<result>\S*)\s*(?P<rest>.*)$")
_ENDPOS = re.compile(r"\s*endpos=(?P<endpos>-?\d+)\s*$")


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """What Asterisk tells us about the channel when the AGI starts."""

    uniqueid: str
    channel: str
    network_script: str
    request: str
    language: str
    caller_id: str | None
    caller_id_name: str | None
    dnid: str | None
    context: str
    extension: str
    priority: str
    version: str
    args: tuple[str, ...]
    raw: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True, slots=True)
class AgiReply:
    """``200 result=1 (hello) endpos=3520`` -> status 200, result "1", data "hello", endpos 3520."""

    status: int
    result: str
    data: str | None
    endpos: int | None
    line: str

    @property
    def result_int(self) -> int | None:
        try:
            return int(self.result)
        except ValueError:
            return None


def _absent(value: str | None) -> str | None:
    return None if value in (None, "", "unknown") else value


def parse_environment(lines: list[str]) -> AgiEnvironment:
    """Build the environment from its ``agi_key: value`` lines (the empty end line excluded)."""
    raw: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.startswith("agi_"):
            raw[key[4:]] = value.strip()
    args = tuple(raw[k] for k in sorted(_arg_keys(raw), key=lambda k: int(k[4:])))
    return AgiEnvironment(
        uniqueid=raw.get("uniqueid", ""),
        channel=raw.get("channel", ""),
        network_script=raw.get("network_script", ""),
        request=raw.get("request", ""),
        language=raw.get("language", ""),
        caller_id=_absent(raw.get("callerid")),
        caller_id_name=_absent(raw.get("calleridname")),
        dnid=_absent(raw.get("dnid")),
        context=raw.get("context", ""),
        extension=raw.get("extension", ""),
        priority=raw.get("priority", ""),
        version=raw.get("version", ""),
        args=args,
        raw=raw,
    )


def _arg_keys(raw: Mapping[str, str]) -> list[str]:
    return [k for k in raw if k.startswith("arg_") and k[4:].isdigit()]


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line; raises ``ValueError`` when it is not one."""
    match = _REPLY.match(line.strip())
    if match is None:
        raise ValueError(f"not an AGI reply: {line!r}")
    status, rest = int(match["status"]), match["rest"]
    result_match = _RESULT.match(rest)
    if result_match is None:
        return AgiReply(status=status, result="", data=rest or None, endpos=None, line=line)
    result, rest = result_match["result"], result_match["rest"]
    endpos_match = _ENDPOS.search(rest)
    endpos = int(endpos_match["endpos"]) if endpos_match else None
    if endpos_match:
        rest = rest[: endpos_match.start()]
    data = rest.strip()
    if data.startswith("(") and data.endswith(")"):
        data = data[1:-1]
    return AgiReply(status=status, result=result, data=data or None, endpos=endpos, line=line)


def quote(value: str) -> str:
    """One AGI argument, double-quoted with Asterisk's backslash escapes.

    A line break would end the command and start another one chosen by whoever supplied the
    value (a caller-id, a digit string from a web form...), so it is refused outright.
    """
    if "\n" in value or "\r" in value:
        raise ValueError("AGI arguments cannot contain line breaks")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def command(*words: str, quoted: tuple[str, ...] = ()) -> str:
    """``command("STREAM", "FILE", quoted=("beep", ""))`` -> ``STREAM FILE "beep" ""``."""
    for word in words:
        if not word or any(c.isspace() for c in word) or '"' in word:
            raise ValueError(f"AGI command word {word!r} must be a bare token")
    return " ".join([*words, *(quote(v) for v in quoted)])
