"""How engines hear about changes: after commit, in this process and in every other one.

* In this process, `announce` queues an internal event on the unit of work; `RoutingNotifier`
  (wrapped around the app's notifier) hands it to the engine once the transaction committed and
  passes every other event on untouched.
* Across processes, on PostgreSQL, `announce` also runs `pg_notify` inside the same transaction:
  PostgreSQL delivers a NOTIFY only if and when its transaction commits, so listeners never hear of
  a change they cannot yet read. `PgListener` keeps one asyncpg connection `LISTEN`ing per process.

Notifications only say "re-read these rows"; losing one costs latency, never correctness, and the
engine's slow resync covers it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from contact_center.core.events import Event
from contact_center.core.notifier import Notifier
from contact_center.core.uow import UnitOfWork
from routing import notices

log = logging.getLogger(__name__)
CHANNEL = "routing_changes"
# NOTIFY payloads are limited to 8000 bytes; a bigger change is announced as "re-read everything".
_MAX_IDS = 500


@dataclass(frozen=True)
class PresenceHint:
    """An official's committed presence, handed to this process's engine with the wake-up so it
    can offer at once and read the official's row after the offer (off the latency path). Only
    a hint: the claim checks the locked row, and the engine re-reads the official in the same
    pass unless a claim already read them. A completion sends one too, with the channel of the
    slot it `freed`."""

    official_id: int
    presence: str
    away_reason: str | None
    wrap_up_until: datetime | None
    idle_since: datetime
    freed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    items: tuple[int, ...] = ()
    officials: tuple[int, ...] = ()
    full: bool = False
    origin: str = ""
    # In this process; across processes only from a completion, whose NOTIFY carries the row.
    hints: tuple[PresenceHint, ...] = ()


Listener = Callable[[Change], None]


async def announce(
    uow: UnitOfWork,
    items: Iterable[int] = (),
    officials: Iterable[int] = (),
    *,
    full: bool = False,
    origin: str = "",
    hints: Sequence[PresenceHint] = (),
) -> None:
    """Tell every engine (after commit) that these rows changed."""
    item_ids, official_ids = sorted(set(items)), sorted(set(officials))
    if not (item_ids or official_ids or full):
        return
    tell_this_process(uow, item_ids, official_ids, full=full, origin=origin, hints=hints)
    if uow.session.get_bind().dialect.name == "postgresql":
        await uow.session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": notify_payload(item_ids, official_ids, full=full, origin=origin)},
        )


def tell_this_process(
    uow: UnitOfWork,
    items: Sequence[int] = (),
    officials: Sequence[int] = (),
    *,
    full: bool = False,
    origin: str = "",
    hints: Sequence[PresenceHint] = (),
) -> None:
    """The in-process half of `announce`: wake this process's engine after commit. A caller that
    sends the NOTIFY inside its own statement (`notify_payload`, one round trip less) uses this."""
    event = notices.changed(items, officials, full=full)
    inside = dict(event.payload, hints=tuple(hints), origin=origin)
    uow.emit(Event(event.name, event.namespace, event.room, inside))


def notify_payload(
    items: Sequence[int] = (), officials: Sequence[int] = (), *, full: bool = False, origin: str = ""
) -> str:
    """The `pg_notify` payload telling other processes which rows to re-read."""
    payload = notices.changed(items, officials, full=full).payload | {"origin": origin}
    if len(payload["items"]) + len(payload["officials"]) > _MAX_IDS:
        payload = {"items": [], "officials": [], "full": True, "origin": origin}
    return json.dumps(payload, separators=(",", ":"))


def parse(payload: str | dict[str, Any]) -> Change:
    data = json.loads(payload) if isinstance(payload, str) else payload
    return Change(
        tuple(int(i) for i in data.get("items", ())),
        tuple(int(o) for o in data.get("officials", ())),
        bool(data.get("full", False)),
        str(data.get("origin", "")),
        tuple(_hint(hint) for hint in data.get("hints", ())),
    )


def _hint(data: PresenceHint | dict[str, Any]) -> PresenceHint:
    """A hint as this process made it, or as a NOTIFY carried it (the row as JSON)."""
    if isinstance(data, PresenceHint):
        return data
    return PresenceHint(
        int(data["official_id"]),
        str(data["presence"]),
        data.get("away_reason"),
        _instant(data.get("wrap_up_until")),
        _instant(data["idle_since"]) or datetime.now(UTC),
        tuple(str(channel) for channel in data.get("freed", ())),
    )


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class RoutingNotifier:
    """The app's notifier with the router's internal wake-up events taken out."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self.listeners: list[Listener] = []

    async def publish(self, events: Sequence[Event]) -> None:
        outside = []
        for event in events:
            if event.namespace == notices.INTERNAL:
                for listener in self.listeners:
                    listener(parse(event.payload))
            else:
                outside.append(event)
        if outside:
            await self.inner.publish(outside)


class PgListener:
    """One `LISTEN routing_changes` connection, reconnected when it drops."""

    def __init__(self, dsn: str, listener: Listener, origin: str) -> None:
        self.dsn = dsn
        self.listener = listener
        self.origin = origin
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._reconnects = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="routing-listen")
        await asyncio.wait_for(self._connected.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError):
                log.warning("routing_listen_connect_failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            try:
                await conn.add_listener(CHANNEL, self._heard)
                self._connected.set()
                if self._reconnects:
                    # Notices sent while disconnected are lost: re-read everything.
                    self.listener(Change(full=True))
                self._reconnects += 1
                await _until_closed(conn)
            except (OSError, asyncpg.PostgresError):
                log.warning("routing_listen_lost", exc_info=True)
            finally:
                await conn.close()

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        change = parse(payload)
        if change.origin.split("/")[0] != self.origin:  # "<origin>/engine": this engine's own
            self.listener(change)


async def _until_closed(conn: asyncpg.Connection) -> None:
    closed = asyncio.Event()
    conn.add_termination_listener(lambda _conn: closed.set())
    await closed.wait()
