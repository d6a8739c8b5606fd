"""The tests' own AMI connection to a real Asterisk: places calls, presses keys, watches events.

Independent of the app's AMI client on purpose: it logs in as the configuration's `tests` user, which
reads every event class (DTMF, AGI...) and may run CLI commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

Message = dict[str, str]


def parse(block: bytes) -> Message:
    message: Message = {}
    for raw in block.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = raw.partition(": ")
        if not sep:
            key, sep, value = raw.partition(":")
        if sep:
            if key == "Output" and key in message:
                message[key] += "\n" + value
            else:
                message.setdefault(key, value)
    return message


class AmiDriver:
    def __init__(self, port: int, username: str, secret: str) -> None:
        self.port, self.username, self.secret = port, username, secret
        self.events: list[Message] = []
        self._waiters: dict[str, asyncio.Future[Message]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    async def connect(self, within: float = 15.0) -> AmiDriver:
        async with asyncio.timeout(within):
            while True:
                try:
                    self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            await self._reader.readline()  # banner
        self._pump = asyncio.create_task(self._read())
        reply = await self.action({"Action": "Login", "Username": self.username, "Secret": self.secret})
        assert reply.get("Response") == "Success", reply
        return self

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._writer is not None:
            self._writer.close()

    async def _read(self) -> None:
        assert self._reader is not None
        try:
            while True:
                block = await self._reader.readuntil(b"\r\n\r\n")
                message = parse(block)
                action_id = message.get("ActionID", "")
                if "Response" in message and action_id in self._waiters:
                    self._waiters.pop(action_id).set_result(message)
                elif "Event" in message:
                    async with self._changed:
                        self.events.append(message)
                        self._changed.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            for waiter in self._waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("AMI closed"))

    async def action(self, fields: dict[str, Any], within: float = 15.0) -> Message:
        assert self._writer is not None
        action_id = f"t{next(self._ids)}"
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._waiters[action_id] = future
        lines = [f"{k}: {v}" for k, v in {**fields, "ActionID": action_id}.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        return await asyncio.wait_for(future, within)

    async def command(self, cli: str) -> str:
        return (await self.action({"Action": "Command", "Command": cli})).get("Output", "")

    async def wait_for(
        self,
        event: str,
        where: Callable[[Message], bool] = lambda _: True,
        within: float = 15.0,
        since: int = 0,
    ) -> Message:
        """The first `event` (from index `since`) that satisfies `where`, waiting for it if needed."""
        async with asyncio.timeout(within), self._changed:
            while True:
                for message in self.events[since:]:
                    if message.get("Event") == event and where(message):
                        return message
                await self._changed.wait()

    def named(self, event: str, where: Callable[[Message], bool] = lambda _: True) -> list[Message]:
        return [m for m in self.events if m.get("Event") == event and where(m)]

    # -- a caller -------------------------------------------------------------------------------
    async def call(self, caller_id: str = "3001234567", exten: str = "195") -> Message:
        """Dial 195 from a Local channel whose far side sends audio; the caller's leg (`;1`) event."""
        since = len(self.events)
        reply = await self.action({
            "Action": "Originate", "Channel": f"Local/{exten}@troncal-prueba", "Context": "llamante-prueba",
            "Exten": "s", "Priority": "1", "CallerID": f'"Ciudadano" <{caller_id}>', "Async": "true",
        })  # fmt: skip
        assert reply.get("Response") == "Success", reply
        return await self.wait_for(
            "Newchannel",
            lambda m: m.get("Channel", "").endswith(";1") and "troncal-prueba" in m["Channel"],
            since=since,
        )

    async def press(self, channel: str, keys: str, gap: float = 0.25) -> None:
        """Keys on the caller's leg (AMI PlayDTMF), as a handset sends them."""
        for key in keys:
            reply = await self.action(
                {"Action": "PlayDTMF", "Channel": channel, "Digit": key, "Duration": "120"}
            )
            assert reply.get("Response") == "Success", reply
            await asyncio.sleep(gap)

    async def hang_up(self, channel: str) -> None:
        await self.action({"Action": "Hangup", "Channel": channel, "Cause": "16"})
