"""The AMI client the host uses: one supervised link to Asterisk, typed events, typed actions.

Lifecycle: ``start()`` launches a supervisor that connects, logs in, pings the link, and when the
link dies (EOF, socket error, or no answer to ``Ping`` within ``ping_timeout``) closes it, fails
the actions still waiting on it, and reconnects after a capped, jittered exponential backoff.
After every login (the first one included: at start-up the host's view is just as unknown) the
``on_reconnected`` hook runs in event order so the host can resynchronise with ``queue_status()``
and ``core_show_channels()``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from channels.asterisk.backoff import Backoff
from channels.asterisk.config import AmiConfig
from channels.asterisk.delivery import DeliveryStats, EventHandler, EventPump, RawEventHandler
from channels.asterisk.errors import (
    AmiActionFailed,
    AmiActionTimeout,
    AmiAuthenticationFailed,
    AmiError,
    AmiNotConnected,
)
from channels.asterisk.link import AmiLink
from channels.asterisk.snapshots import (
    ChannelSnapshot,
    QueueSnapshot,
    parse_core_show_channels,
    parse_queue_status,
)

log = logging.getLogger(__name__)

ReconnectHook = Callable[["AmiClient"], Awaitable[None]]
_SUCCESS = frozenset({"success", "follows", "goodbye"})


@dataclass(frozen=True, slots=True)
class AmiResponse:
    """A response: its own headers, and for list actions the items that followed it."""

    headers: Mapping[str, Any]
    items: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def success(self) -> bool:
        return str(self.headers.get("Response", "")).lower() in _SUCCESS

    @property
    def message(self) -> str:
        return str(self.headers.get("Message", ""))


def _as_response(result: Any) -> AmiResponse:
    messages = result if isinstance(result, list) else [result]
    first, *rest = (dict(m.items()) for m in messages)
    return AmiResponse(headers=first, items=tuple(rest))


class AmiClient:
    """Asterisk Manager Interface client (panoramisk underneath, see ``link.py``)."""

    def __init__(
        self,
        config: AmiConfig,
        *,
        on_reconnected: ReconnectHook | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._on_reconnected = on_reconnected
        self._backoff = Backoff(config.backoff_initial, config.backoff_max, rng)
        self._pump = EventPump()
        self._link: AmiLink | None = None
        self._up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.links_opened = 0

    # -- host-facing lifecycle -------------------------------------------------------------
    def subscribe(self, handler: EventHandler) -> None:
        """Receive every typed call event, in order. Sync or async; exceptions are logged."""
        self._pump.subscribe(handler)

    def subscribe_raw(self, handler: RawEventHandler) -> None:
        """Receive every raw event (typed or not), before the typed handlers."""
        self._pump.subscribe_raw(handler)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    @property
    def stats(self) -> DeliveryStats:
        return self._pump.stats

    async def start(self) -> None:
        """Start connecting in the background; returns at once (see ``wait_connected``)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._pump.run(), name="ami-events"),
                asyncio.create_task(self._supervise(), name="ami-supervisor"),
            ]

    async def wait_connected(self, timeout_s: float | None = None) -> None:
        await asyncio.wait_for(self._up.wait(), timeout_s)

    async def drained(self) -> None:
        """Wait until every event received so far has gone through the handlers."""
        await self._pump.drained()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._drop_link("client closed")

    # -- actions ---------------------------------------------------------------------------
    async def send_action(
        self,
        fields: Mapping[str, Any],
        *,
        timeout_s: float | None = None,
        as_list: bool | None = False,
    ) -> AmiResponse:
        """Send one action on the live link; raise unless Asterisk answers with success.

        Raises ``AmiNotConnected`` (not sent), ``AmiActionTimeout``, ``AmiConnectionLost`` (the
        link died first; it is never re-sent) or ``AmiActionFailed``.
        """
        link = self._link
        if link is None:
            raise AmiNotConnected(f"{fields.get('Action')}: AMI link is down")
        wait = timeout_s or self._config.action_timeout
        result = await link.request(fields, wait, as_list=as_list)
        response = _as_response(result)
        if not response.success:
            raise AmiActionFailed(f"{fields.get('Action')}: {response.message or response.headers}")
        return response

    async def ping(self, timeout_s: float | None = None) -> float:
        """Round trip of a ``Ping`` in seconds."""
        started = time.monotonic()
        await self.send_action({"Action": "Ping"}, timeout_s=timeout_s)
        return time.monotonic() - started

    async def queue_status(self, queue: str | None = None) -> tuple[QueueSnapshot, ...]:
        fields = {"Action": "QueueStatus", **({"Queue": queue} if queue else {})}
        response = await self.send_action(fields, as_list=None)
        return parse_queue_status(response.items)

    async def core_show_channels(self) -> tuple[ChannelSnapshot, ...]:
        response = await self.send_action({"Action": "CoreShowChannels"}, as_list=None)
        return parse_core_show_channels(response.items)

    async def queue_add(
        self, interface: str, queue: str, *, member_name: str | None = None,
        penalty: int = 0, paused: bool = False, state_interface: str | None = None,
    ) -> None:  # fmt: skip
        fields = {"Action": "QueueAdd", "Queue": queue, "Interface": interface,
                  "Penalty": str(penalty), "Paused": _bool(paused)}  # fmt: skip
        if member_name:
            fields["MemberName"] = member_name
        if state_interface:
            fields["StateInterface"] = state_interface
        await self.send_action(fields)

    async def queue_remove(self, interface: str, queue: str) -> None:
        await self.send_action({"Action": "QueueRemove", "Queue": queue, "Interface": interface})

    async def queue_pause(self, interface: str, queue: str, paused: bool, reason: str = "") -> None:
        fields = {"Action": "QueuePause", "Interface": interface, "Queue": queue,
                  "Paused": _bool(paused)}  # fmt: skip
        if reason:
            fields["Reason"] = reason
        await self.send_action(fields)

    async def originate(
        self, channel: str, *, context: str, exten: str, priority: int = 1,
        caller_id: str | None = None, variables: Mapping[str, str] | None = None,
        ring_timeout_ms: int = 30_000, action_id: str | None = None,
    ) -> str:  # fmt: skip
        """Queue an asynchronous call (a callback); returns the ActionID.

        Returns once Asterisk accepted it; the outcome comes later as an ``OriginateResult``
        event with the same ``action_id`` (the caller's own, or a new one).
        """
        action_id = action_id or f"pasto195-originate-{uuid.uuid4()}"
        fields: dict[str, Any] = {"Action": "Originate", "ActionID": action_id, "Channel": channel,
                                  "Context": context, "Exten": exten, "Priority": str(priority),
                                  "Timeout": str(ring_timeout_ms), "Async": "true"}  # fmt: skip
        if caller_id:
            fields["CallerID"] = caller_id
        if variables:
            fields["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        await self.send_action(fields)
        return action_id

    # -- supervision -----------------------------------------------------------------------
    async def _supervise(self) -> None:
        while True:
            link = await self._open_link()
            if link is not None:
                self._backoff.reset()
                reason = await self._serve(link)
                log.warning("ami_link_lost", extra={**self._where(), "reason": reason})
            await self._pause_before_retry()

    async def _pause_before_retry(self) -> None:
        attempt, delay = self._backoff.attempt, self._backoff.next_delay()
        log.info("ami_retry_scheduled", extra={"attempt": attempt, "delay_s": round(delay, 3)})
        await asyncio.sleep(delay)

    async def _open_link(self) -> AmiLink | None:
        link = AmiLink(self._config, self._pump.push)
        try:
            await link.open(self._config.connect_timeout)
            await self._login(link)
        except asyncio.CancelledError:
            link.close("client closed")
            raise
        except Exception as exc:  # whatever it was, the supervisor must live on and retry
            link.close("connect failed")
            log.warning("ami_connect_failed", extra={**self._where(), "error": repr(exc)})
            return None
        self._link = link
        return link

    async def _login(self, link: AmiLink) -> None:
        # Straight on the link: the host cannot send actions until the login succeeded.
        config = self._config
        fields = {"Action": "Login", "Username": config.username, "Secret": config.secret,
                  "Events": config.events}  # fmt: skip
        response = _as_response(await link.request(fields, config.connect_timeout, as_list=False))
        if not response.success:
            raise AmiAuthenticationFailed(f"AMI login refused for {config.username!r}")

    async def _serve(self, link: AmiLink) -> str:
        self.links_opened += 1
        self._up.set()
        log.info("ami_link_up", extra={**self._where(), "link": self.links_opened})
        if self._on_reconnected is not None:
            hook = self._on_reconnected
            self._pump.push_job(lambda: hook(self))
        watchdog = asyncio.create_task(self._watch(link), name="ami-liveness")
        try:
            return await link.dead
        finally:
            watchdog.cancel()
            self._drop_link("link dead")

    async def _watch(self, link: AmiLink) -> None:
        """Declare the link dead when a Ping goes unanswered: TCP alone may never tell us.

        Under a burst the Pong queues behind thousands of events; bytes arriving while we
        wait prove the link is alive, so only a link that says nothing at all is dead.
        """
        config = self._config
        while not link.dead.done():
            await asyncio.sleep(config.ping_interval)
            sent_at = time.monotonic()
            try:
                await link.request({"Action": "Ping"}, config.ping_timeout, as_list=False)
            except AmiActionTimeout:
                if link.last_received < sent_at:
                    link.declare_dead(f"liveness check failed: no answer in {config.ping_timeout}s")
            except AmiError as exc:
                link.declare_dead(f"liveness check failed: {exc}")

    def _drop_link(self, reason: str) -> None:
        self._up.clear()
        link, self._link = self._link, None
        if link is not None:
            link.close(reason)

    def _where(self) -> dict[str, Any]:
        return {"host": self._config.host, "port": self._config.port}


def _bool(value: bool) -> str:
    return "true" if value else "false"
