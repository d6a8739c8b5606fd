"""One AMI TCP connection, on panoramisk, with panoramisk's own recovery switched off.

What we keep from panoramisk 1.4: ``Action`` (ActionID generation, serialisation, and its
response collection, which knows EventList/``...Complete`` lists), ``Message`` parsing, and
``AMIProtocol.handle_message`` (matching responses to actions, ``Shutdown`` handling).

What we take over, because of weaknesses in 1.4:
- reconnection: ``Manager`` retries forever at a fixed whole-second delay from timers that
  ``close()`` cannot cancel, with no backoff or jitter -> ``connection_made``/``connection_lost``
  below never schedule anything; ``AmiClient`` supervises.
- liveness: its pinger sends ``Ping`` and never looks at the answer, so a silent link is never
  noticed -> ``ping`` is a no-op; ``AmiClient`` pings with a timeout.
- actions of a dead link are kept and re-sent on the next ``FullyBooted`` (a stale QueuePause
  or Originate firing minutes later) -> each link is used once; its pending actions are failed.
- handler exceptions escape ``data_received`` and make asyncio close the transport ->
  ``dispatch`` only hands the message over; delivery happens elsewhere, guarded.
- each TCP chunk is decoded on its own with errors ignored, so an accented caller name split
  across two reads loses letters -> an incremental UTF-8 decoder.
- every message becomes a case-insensitive ``Message`` (about half of the CPU per event) ->
  unsolicited events (no ActionID: nearly all traffic) are parsed into plain dicts; responses
  and list items still go through panoramisk's matching.
- no action timeout -> ``request`` has one.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from panoramisk import actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from channels.asterisk.config import AmiConfig
from channels.asterisk.errors import AmiActionTimeout, AmiConnectionLost, AmiNotConnected

log = logging.getLogger(__name__)

EOM = "\r\n\r\n"
BANNER = "Asterisk Call Manager/"
# panoramisk's pinger timer is armed on connect; we make it harmless rather than patch it out.
_NEVER = 10**9


class _Protocol(AMIProtocol):  # type: ignore[misc]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self.last_received = time.monotonic()

    def data_received(self, data: bytes) -> None:
        self.last_received = time.monotonic()
        self._buffer += self._decoder.decode(data)
        if self.version is None and not self._take_banner():
            return
        if self.factory is None:  # bytes can beat panoramisk's wiring of the protocol
            return
        *blocks, self._buffer = self._buffer.split(EOM)
        for block in blocks:
            self._handle_block(block)

    def _take_banner(self) -> bool:
        line, sep, rest = self._buffer.partition("\r\n")
        if not sep:
            return False
        if line.startswith(BANNER):
            self.version = line[len(BANNER) :].strip()
            self._buffer = rest
        else:
            self.version = ""
        return True

    def _handle_block(self, block: str) -> None:
        # Whatever one bad message does, the reader must go on with the next one.
        try:
            block = block.strip()
            if _is_plain_event(block):
                self.factory.deliver(parse_headers(block))
                return
            message = Message.from_line(block)
            if message is not None:
                self.handle_message(message)
        except Exception:
            log.exception("ami_message_unreadable", extra={"block": block[:200]})


def _is_plain_event(block: str) -> bool:
    # An event that answers none of our actions (those carry our ActionID), and not the
    # Shutdown notice, which panoramisk's handle_message turns into a connection loss.
    return (
        block.startswith("Event: ")
        and "\r\nActionID: " not in block
        and not block.startswith("Event: Shutdown")
    )


def parse_headers(block: str) -> dict[str, Any]:
    """``Key: value`` lines into a dict; a repeated key (``ChanVariable``) becomes a list."""
    headers: dict[str, Any] = {}
    for line in block.split("\r\n"):
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        if key in headers:
            previous = headers[key]
            headers[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            headers[key] = value
    return headers


class _Manager(Manager):  # type: ignore[misc]
    def __init__(
        self,
        config: AmiConfig,
        on_message: Callable[[dict[str, Any]], None],
        on_lost: Callable[[BaseException | None], None],
    ) -> None:
        loop = asyncio.get_running_loop()
        super().__init__(
            host=config.host, port=config.port, loop=loop, protocol_factory=_Protocol,
            ping_delay=_NEVER, ping_interval=_NEVER, reconnect_timeout=_NEVER,
        )  # fmt: skip
        self.opened: asyncio.Future[None] = loop.create_future()
        self._on_message = on_message
        self._on_lost = on_lost

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        failure = TimeoutError("connect cancelled") if f.cancelled() else f.exception()
        if failure is not None:
            if not self.opened.done():
                self.opened.set_exception(failure)
            return  # no panoramisk retry timer
        super().connection_made(f)
        if self.opened.done():  # we gave up waiting: do not keep an orphan connection
            self.close()
        else:
            self.opened.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connected = False
        self._on_lost(exc)

    def ping(self) -> None:
        pass

    def dispatch(self, event: Message) -> list[str]:
        # Handlers get plain dicts whichever way the event was parsed.
        self._on_message(dict(event.items()))
        return []

    def deliver(self, headers: dict[str, Any]) -> None:
        self._on_message(headers)


class AmiLink:
    """A single-use AMI connection: opened once, and when it dies it stays dead."""

    def __init__(self, config: AmiConfig, on_message: Callable[[dict[str, Any]], None]) -> None:
        self.dead: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._manager = _Manager(config, on_message, self._lost)
        self._pending: dict[str, Any] = {}

    async def open(self, timeout_s: float) -> None:
        task = self._manager.connect()
        try:
            await asyncio.wait_for(asyncio.shield(self._manager.opened), timeout_s)
        except TimeoutError:
            task.cancel()
            raise

    async def request(
        self, fields: Mapping[str, Any], timeout_s: float, *, as_list: bool | None = None
    ) -> Any:
        """Send one action; its response (``Message``, or a list for event lists)."""
        if self.dead.done() or self._manager.protocol is None:
            raise AmiNotConnected("AMI link is down")
        action = actions.Action(dict(fields), as_list=as_list)
        self._pending[action.id] = action
        future = self._manager.send_action(action, as_list=as_list)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            name = fields.get("Action")
            raise AmiActionTimeout(f"{name} got no response in {timeout_s}s") from None
        finally:
            self._forget(action)

    @property
    def last_received(self) -> float:
        """``time.monotonic()`` of the last bytes read (liveness: traffic is proof of life)."""
        protocol = self._manager.protocol
        return float(protocol.last_received) if protocol is not None else 0.0

    def _forget(self, action: Any) -> None:
        self._pending.pop(action.id, None)
        protocol = self._manager.protocol
        if protocol is not None:  # so a late answer finds nothing to complete
            protocol.responses.pop(action.id, None)

    def _lost(self, exc: BaseException | None) -> None:
        self.declare_dead(f"connection lost: {exc!r}" if exc else "connection closed by peer")

    def declare_dead(self, reason: str) -> None:
        if not self.dead.done():
            self.dead.set_result(reason)

    def close(self, reason: str) -> None:
        """Close the socket and fail every action still waiting on it (none is carried over)."""
        self.declare_dead(reason)
        self._manager.close()
        self._manager.awaiting_actions.clear()
        for action in list(self._pending.values()):
            if not action.future.done():
                action.future.set_exception(AmiConnectionLost(f"{action['Action']}: {reason}"))
        self._pending.clear()
