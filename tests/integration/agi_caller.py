"""A simulated Asterisk channel that calls the FastAGI server and plays a citizen's part.

Unlike `tests.asterisk_peer.run_agi_call` (a fixed script), it answers each command by its kind,
as Asterisk would, and keys in the caller's digits whenever the server asks for data (GET DATA).
The environment block is the one captured from Asterisk 22.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.asterisk.prompts import spoken_text
from tests.asterisk_peer import environment_block

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Caller:
    keys: list[str]  # what the caller keys at each GET DATA, in order ("" = silence)
    variables: Mapping[str, str] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    hung_up_by_server: bool = False

    def args(self, verb: str) -> list[list[str]]:
        """The quoted arguments of every command starting with `verb`."""
        return [_QUOTED.findall(c) for c in self.commands if c.startswith(verb)]

    def spoken(self) -> str:
        """Prompts (the text of each generated recording) and digits read, in order: what the
        citizen heard."""
        heard = []
        for command in self.commands:
            if command.startswith("SAY DIGITS"):
                heard.append(" ".join(_QUOTED.findall(command)[0]))
            elif command.startswith("STREAM FILE"):
                heard.append(spoken_text(_QUOTED.findall(command)[0]) or "")
        return " ".join(h for h in heard if h)

    def reply(self, command: str) -> str | None:
        """The reply line, or None to hang up (close the socket)."""
        if command.startswith("GET DATA"):
            if not self.keys:
                return None
            keys = self.keys.pop(0)
            return f"200 result={keys}" if keys else "200 result= (timeout)"
        if command.startswith("GET VARIABLE"):
            name = _QUOTED.findall(command)[0]
            value = self.variables.get(name)
            return f"200 result=1 ({value})" if value is not None else "200 result=0"
        if command.startswith("STREAM FILE"):
            return "200 result=0 endpos=8000"
        if command.startswith("HANGUP"):
            self.hung_up_by_server = True
            return "200 result=1"
        return "200 result=0"  # ANSWER, EXEC, SAY DIGITS, VERBOSE...


async def call(
    port: int, caller: Caller, *, uniqueid: str = "1795476145.1", within_s: float = 10.0
) -> Caller:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(environment_block(uniqueid=uniqueid, callerid="3001234567"))
    try:
        async with asyncio.timeout(within_s):
            while True:
                line = await reader.readline()
                if not line:
                    break
                command = line.decode().rstrip("\n")
                caller.commands.append(command)
                reply = caller.reply(command)
                if reply is None:
                    break
                writer.write(f"{reply}\n".encode())
                await writer.drain()
                if caller.hung_up_by_server:
                    break
    finally:
        writer.close()
    return caller
