"""One FastAGI conversation with Asterisk: typed commands over a stream pair."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import NoReturn

from channels.asterisk.agi_protocol import (
    DEAD_CHANNEL,
    HANGUP_LINE,
    USAGE_ERROR,
    AgiEnvironment,
    AgiReply,
    command,
    parse_reply,
)
from channels.asterisk.errors import AgiCommandFailed, AgiCommandTimeout, AgiError, CallHungUp

log = logging.getLogger(__name__)

# Slack on top of what a command may legitimately wait for the caller (GET DATA timeouts...).
_CALLER_WAIT_SLACK_S = 2.0


class AgiSession:
    """Typed AGI commands for the IVR runtime; one per call, not shared between tasks.

    Every command raises ``CallHungUp`` once the caller is gone, ``AgiCommandTimeout`` when
    Asterisk does not answer in time (the session is then unusable: a late answer would be read
    as the answer to the next command), and ``AgiCommandFailed`` when Asterisk rejects it.
    """

    def __init__(
        self,
        env: AgiEnvironment,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        command_timeout_s: float,
        media_timeout_s: float | None = None,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._timeout_s = command_timeout_s
        self._media_timeout_s = media_timeout_s or command_timeout_s
        self.hung_up = False
        self._broken: str | None = None

    # -- typed commands --------------------------------------------------------------------
    async def answer(self) -> None:
        await self._checked(command("ANSWER"))

    async def stream_file(
        self, name: str, escape_digits: str = "", *, timeout_s: float | None = None
    ) -> str | None:
        """Play a prompt; the key that interrupted it, or ``None`` if it played to the end."""
        line = command("STREAM", "FILE", quoted=(name, escape_digits))
        reply = await self._checked(line, timeout_s=timeout_s or self._media_timeout_s)
        return _digit(reply)

    async def get_data(self, file: str, timeout_ms: int = 5000, max_digits: int = 20) -> str | None:
        """Play ``file`` and collect up to ``max_digits`` keys; ``None`` if none were pressed.

        Keys pressed before the inter-digit timeout are returned even though Asterisk marks the
        reply ``(timeout)``: callers seldom end a radicado with '#'.
        """
        line = command("GET", "DATA", quoted=(file, str(timeout_ms), str(max_digits)))
        # Asterisk waits timeout_ms after the prompt and between keys.
        wait = self._timeout_s + timeout_ms * (max_digits + 1) / 1000 + _CALLER_WAIT_SLACK_S
        reply = await self._checked(line, timeout_s=wait)
        return reply.result or None

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        line = command("SAY", "DIGITS", quoted=(digits, escape_digits))
        reply = await self._checked(line, timeout_s=self._media_timeout_s)
        return _digit(reply)

    async def exec(
        self,
        app: str,
        args: str | Sequence[str] = "",
        *,
        timeout_s: float | None = None,
        failure_ok: bool = False,
    ) -> str:
        """Run a dialplan application; its raw result (``-2`` means the app was not found).

        A sequence of arguments is joined with commas, each argument's own commas, quotes and
        backslashes escaped, so no text is ever split into more arguments. `failure_ok`: an app
        whose -1 is an outcome, not an error (Queue after a talk), returns "-1" while the channel
        is up.
        """
        joined = args if isinstance(args, str) else ",".join(app_argument(a) for a in args)
        line = command("EXEC", app, quoted=(joined,))
        wait = timeout_s or self._media_timeout_s
        reply = await (self.send(line, timeout_s=wait) if failure_ok else self._checked(line, timeout_s=wait))
        if reply.result == "-1" and failure_ok:
            await self.channel_status()  # raises CallHungUp when the caller is gone
        if reply.result == "-2":
            raise AgiCommandFailed(reply.status, f"no application {app}")
        return reply.result

    async def set_variable(self, name: str, value: str) -> None:
        await self._checked(command("SET", "VARIABLE", quoted=(name, value)))

    async def get_variable(self, name: str) -> str | None:
        reply = await self._checked(command("GET", "VARIABLE", quoted=(name,)))
        return reply.data if reply.result == "1" else None

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._checked(command("VERBOSE", quoted=(message, str(level))))

    async def channel_status(self) -> int:
        reply = await self._checked(command("CHANNEL", "STATUS"))
        return reply.result_int or 0

    async def hangup(self) -> None:
        await self._checked(command("HANGUP"))
        self.hung_up = True

    # -- the exchange ----------------------------------------------------------------------
    async def _checked(self, line: str, *, timeout_s: float | None = None) -> AgiReply:
        reply = await self.send(line, timeout_s=timeout_s)
        if reply.result == "-1":
            await self._explain_failure(line)
        return reply

    async def _explain_failure(self, line: str) -> NoReturn:
        # result=-1 means "hung up" *or* "failed" (a missing prompt file): ask the channel,
        # which answers 511 (-> CallHungUp) when it is gone.
        status = await self.send(command("CHANNEL", "STATUS"))
        if status.result == "-1":
            self._mark_hung_up("result=-1")
        raise AgiCommandFailed(200, f"{_verb(line)} failed (result=-1)")

    async def send(self, line: str, *, timeout_s: float | None = None) -> AgiReply:
        """Send one raw command line and read its final reply."""
        if self.hung_up:
            raise CallHungUp(f"{self.env.uniqueid}: caller already hung up")
        if self._broken:
            raise AgiError(f"{self.env.uniqueid}: session unusable ({self._broken})")
        self._writer.write(line.encode() + b"\n")
        try:
            async with asyncio.timeout(timeout_s or self._timeout_s):
                await self._writer.drain()
                return await self._read_reply()
        except TimeoutError:
            self._broken = f"no reply to {_verb(line)}"
            raise AgiCommandTimeout(f"{self.env.uniqueid}: {self._broken}") from None
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self._mark_hung_up(f"socket closed: {exc!r}")

    async def _read_reply(self) -> AgiReply:
        while True:
            raw = await self._reader.readline()
            if not raw:
                self._mark_hung_up("socket closed")
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text == HANGUP_LINE:
                self._mark_hung_up("HANGUP")
            if not text:
                continue
            reply = self._parse(text)
            if reply.status == 100:  # "100 result=0 Trying...": the real answer follows
                continue
            if reply.status == USAGE_ERROR and text.startswith(f"{USAGE_ERROR}-"):
                await self._skip_usage()
            return self._classify(reply)

    def _parse(self, text: str) -> AgiReply:
        try:
            return parse_reply(text)
        except ValueError:
            self._broken = f"unreadable reply {text[:80]!r}"
            raise AgiError(f"{self.env.uniqueid}: {self._broken}") from None

    async def _skip_usage(self) -> None:
        # 520-Invalid command syntax... usage text ... "520 End of proper usage."
        while not (await self._reader.readline()).startswith(f"{USAGE_ERROR} ".encode()):
            if self._reader.at_eof():
                self._mark_hung_up("socket closed")

    def _classify(self, reply: AgiReply) -> AgiReply:
        if reply.status == DEAD_CHANNEL:
            self._mark_hung_up("511 dead channel")
        if reply.status != 200:
            raise AgiCommandFailed(reply.status, reply.data or reply.line)
        return reply

    def _mark_hung_up(self, why: str) -> NoReturn:
        self.hung_up = True
        raise CallHungUp(f"{self.env.uniqueid}: {why}")


def app_argument(value: str) -> str:
    """One application argument, escaped for Asterisk's argument parser (`,` `"` and `\\`)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace(",", "\\,")


def _verb(line: str) -> str:
    """The command words without their (possibly personal) quoted arguments, for messages."""
    return line.split('"', 1)[0].strip()


def _digit(reply: AgiReply) -> str | None:
    """``result`` of STREAM FILE / SAY DIGITS / WAIT FOR DIGIT is the ASCII code of the key."""
    code = reply.result_int
    return chr(code) if code else None
