"""The AMI mirror: Asterisk's view of calls applied to conversations, call events and statistics.

Typed events (`channels.asterisk.events`) are buffered and applied in batches, one transaction per
batch, so a burst of thousands of events costs a few statements rather than one transaction each:

- a conversation per call, keyed by the channel's linkedid (the IVR runner uses the same key);
- a `call_events` row per event, keyed by the event's `.key`: a replayed event adds nothing and
  changes nothing, since only new events move states and figures;
- the conversation's state: queued on QueueCallerJoin, active (answered_at) on AgentConnect, ended
  on the hang-up of the call's first channel: abandoned if it joined a queue and nobody answered,
  closed otherwise. QueueCallerAbandon alone ends nothing: app_queue sends it whenever a caller
  leaves the queue unanswered, a timeout included, and such a caller may go back in;
- per-queue, per-day figures in `voice_queue_stats` (joined, answered, abandoned, wait, talk), each
  call counted once: joined on its first QueueCallerJoin of that queue, abandoned at its hang-up.

After every (re)connect `resync` rebuilds what may have been missed from `core_show_channels()`
(calls that ended while the link was down are closed) and puts officials' queue membership and
pause state in step with their presence (`reconcile_members`, also run periodically).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite

from channels.asterisk.events import (
    AgentCompleted,
    AgentConnected,
    CallerJoinedQueue,
    CallEvent,
    ChannelEvent,
    ChannelHungUp,
    MemberEvent,
    OriginateResult,
)
from channels.asterisk.interfaces import DEFAULT, MemberInterface
from channels.asterisk.router_mirror import Move, concerns_router, tell_router
from channels.asterisk.snapshots import ChannelSnapshot
from contact_center.core.db.models import CallEvent as CallEventRow
from contact_center.core.db.models import Conversation
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from contact_center.pqrd.domain.calendar import bogota_date
from ivr.callback_retry import CallbackOutcomes
from ivr.models import VoiceCallback, VoiceQueueStats
from ivr.queueing import CallQueue

log = logging.getLogger(__name__)
VOICE = "voice"
TOPIC = "Línea 195 (asterisk)"
_ENDED = frozenset({"closed", "abandoned"})
# OriginateResponse `Reason` (Asterisk's AST_CONTROL_* codes) as Twilio would name the outcome.
_ORIGINATE_REASONS = {0: "failed", 1: "failed", 3: "no-answer", 5: "busy", 8: "congestion"}


@dataclass
class _Figures:
    joined: int = 0
    answered: int = 0
    abandoned: int = 0
    wait_seconds: int = 0
    talk_seconds: int = 0


@dataclass
class MirrorStats:
    received: int = 0
    applied: int = 0  # new events written
    duplicates: int = 0
    batches: int = 0
    member_events: int = 0


@dataclass
class AmiMirror:
    """The AMI event sink: `client.subscribe(mirror)`; `client(on_reconnected=mirror.resync)`."""

    uows: UnitOfWorkFactory
    batch_size: int = 500
    queue: CallQueue | None = None  # the router's work items, which mirror app_queue's decisions
    callbacks: CallbackOutcomes | None = None  # an unanswered callback is retried or closed
    interfaces: MemberInterface = DEFAULT  # officials' queue member interfaces
    stats: MirrorStats = field(default_factory=MirrorStats)
    _pending: list[CallEvent] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def __call__(self, event: CallEvent) -> None:
        self.stats.received += 1
        if isinstance(event, MemberEvent):
            self.stats.member_events += 1  # membership is reconciled from presence, not mirrored
            return
        self._pending.append(event)
        if len(self._pending) >= self.batch_size:
            await self.flush()

    async def flush(self) -> None:
        """Apply the buffered events in one transaction (the AMI pump also calls this when idle)."""
        async with self._lock:  # the pump and the idle timer flush; batches apply one at a time
            batch, self._pending = self._pending, []
            if not batch:
                return
            async with self.uows() as uow:
                await _apply(uow, batch, self.stats, self.queue, self.callbacks, self.interfaces)
                await uow.commit()
            self.stats.batches += 1

    async def run_flusher(self, every_s: float = 0.1) -> None:
        """Flush what a quiet line left in the buffer; run as a background task."""
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.flush()
            except Exception:  # the next round retries with newer events; these are logged
                log.exception("ami_mirror_flush_failed")

    async def resync(self, client: Any) -> None:
        """After a (re)connect: close calls that ended unseen, then reconcile queue members."""
        await self.flush()
        channels = await client.core_show_channels()
        async with self.uows() as uow:
            closed = await close_vanished_calls(uow, channels)
            await uow.commit()
        log.info("ami_resync", extra={"live_channels": len(channels), "closed": closed})
        from channels.asterisk.members import reconcile_members

        await reconcile_members(client, self.uows, self.interfaces)


async def _apply(
    uow: UnitOfWork,
    batch: list[CallEvent],
    stats: MirrorStats,
    queue: CallQueue | None = None,
    callbacks: CallbackOutcomes | None = None,
    interfaces: MemberInterface = DEFAULT,
) -> None:
    fresh = _unique(batch)
    calls, created = await _conversations(uow, fresh)
    known = await _known_keys(uow, {k: c for k, c in calls.items() if k not in created}, fresh)
    joined = await _joined_queues(uow, [c.id for k, c in calls.items() if k not in created])
    rows: list[dict[str, Any]] = []
    moves: list[Move] = []
    figures: dict[tuple[str, date], _Figures] = defaultdict(_Figures)
    for event in fresh:
        if isinstance(event, OriginateResult):
            await _originated(uow, event, callbacks)
            continue
        if not isinstance(event, ChannelEvent):
            continue
        call = calls[event.linkedid]
        if (call.id, event.key) in known:
            stats.duplicates += 1
            continue
        rows.append(_row(call.id, event))
        _move(call, event, figures, joined[call.id])
        if queue is not None and concerns_router(event):
            moves.append((event, call))
    stats.duplicates += len(batch) - len(fresh)
    if rows:
        await uow.session.execute(insert(CallEventRow), rows)
    if moves and queue is not None:
        await tell_router(uow, queue, moves, interfaces)
    await _add_figures(uow, figures)
    stats.applied += len(rows)


def _unique(batch: list[CallEvent]) -> list[CallEvent]:
    seen: set[str] = set()
    fresh = []
    for event in batch:
        if event.key not in seen:
            seen.add(event.key)
            fresh.append(event)
    return fresh


async def _conversations(
    uow: UnitOfWork, events: list[CallEvent]
) -> tuple[dict[str, Conversation], set[str]]:
    """The batch's calls by linkedid, and the linkedids created now (they have no events yet)."""
    first: dict[str, ChannelEvent] = {}
    for event in events:
        if isinstance(event, ChannelEvent):
            first.setdefault(event.linkedid, event)
    if not first:
        return {}, set()
    # Locked: an official's call control (hold, transfer) commits its flag before the events that
    # its AMI action causes are applied (AgentComplete must not complete a held call's work item).
    query = (
        select(Conversation)
        .where(Conversation.channel == VOICE, Conversation.external_id.in_(list(first)))
        .order_by(Conversation.id)
        .with_for_update()
    )
    calls = {c.external_id: c for c in (await uow.session.scalars(query)).all()}
    created = {linkedid for linkedid in first if linkedid not in calls}
    if created:
        # One multi-row INSERT (Core): the ORM's per-object flush cost more than the rest of a batch.
        rows = [{"channel": VOICE, "external_id": linkedid, "state": "open", "topic": TOPIC,
                 "started_at": _at(first[linkedid], uow)} for linkedid in created]  # fmt: skip
        # The IVR may have created one of them meanwhile (FastAGI first): it is joined, not re-created.
        await uow.session.execute(_insert_new(uow), rows)
        new = query.where(Conversation.external_id.in_(sorted(created)))
        calls.update({c.external_id: c for c in (await uow.session.scalars(new)).all()})
    return calls, created


def _insert_new(uow: UnitOfWork) -> Any:
    """INSERT ... ON CONFLICT (channel, external_id) DO NOTHING, in the session's dialect."""
    dialect = uow.session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Conversation).on_conflict_do_nothing(index_elements=["channel", "external_id"])


async def _joined_queues(uow: UnitOfWork, ids: list[int]) -> dict[int, list[str]]:
    """The queues each call joined before this batch, in order (from its call_events rows)."""
    joined: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return joined
    query = (
        select(CallEventRow.conversation_id, CallEventRow.data)
        .where(CallEventRow.conversation_id.in_(ids), CallEventRow.kind == "CallerJoinedQueue")
        .order_by(CallEventRow.id)
    )
    for conversation_id, data in (await uow.session.execute(query)).all():
        joined[conversation_id].append(str((data or {}).get("queue", "")))
    return joined


async def _known_keys(
    uow: UnitOfWork, calls: dict[str, Conversation], events: list[CallEvent]
) -> set[tuple[int, str]]:
    keys = [e.key for e in events if isinstance(e, ChannelEvent) and e.linkedid in calls]
    if not keys:
        return set()
    ids = [c.id for c in calls.values()]
    query = select(CallEventRow.conversation_id, CallEventRow.dedup_key).where(
        CallEventRow.conversation_id.in_(ids), CallEventRow.dedup_key.in_(keys)
    )
    return {(row[0], row[1]) for row in (await uow.session.execute(query)).all()}


def _row(conversation_id: int, event: ChannelEvent) -> dict[str, Any]:
    data = {"uniqueid": event.uniqueid, "channel": event.channel}
    queue = getattr(event, "queue", None)
    if queue:
        data["queue"] = queue
    return {"conversation_id": conversation_id, "kind": type(event).__name__, "dedup_key": event.key[:120],
            "data": data, "at": _stamp(event)}  # fmt: skip


def _move(
    call: Conversation, event: ChannelEvent, figures: dict[tuple[str, date], _Figures], joined: list[str]
) -> None:
    at = _stamp(event)
    match event:
        case CallerJoinedQueue():
            if event.queue not in joined:  # back in the same queue (after the callback offer): once
                figures[(event.queue, bogota_date(at))].joined += 1
                joined.append(event.queue)
            if call.state in {"open", "queued"}:
                call.state = "queued"
        case AgentConnected():
            day = figures[(event.queue, bogota_date(at))]
            day.answered += 1
            day.wait_seconds += event.hold_time
            if call.state not in _ENDED:
                call.state, call.answered_at = "active", call.answered_at or at
        case AgentCompleted():
            figures[(event.queue, bogota_date(at))].talk_seconds += event.talk_time
        case ChannelHungUp() if event.uniqueid == event.linkedid:
            _ended(call, at, figures, joined)
        case _:
            pass


def _ended(
    call: Conversation, at: datetime, figures: dict[tuple[str, date], _Figures], joined: list[str]
) -> None:
    """The caller's first channel hung up: a call that joined a queue and was never answered is
    abandoned (counted once, in the last queue it waited in); a callback keeps its place."""
    call.ended_at = call.ended_at or at
    if (call.flow_state or {}).get("callback"):
        return
    abandoned = bool(joined) and call.answered_at is None
    if abandoned:
        figures[(joined[-1], bogota_date(at))].abandoned += 1
    if call.state not in _ENDED:
        call.state = "abandoned" if abandoned else "closed"


async def _add_figures(uow: UnitOfWork, figures: dict[tuple[str, date], _Figures]) -> None:
    for (queue, day), add in figures.items():
        row = await uow.session.get(VoiceQueueStats, (queue, day), with_for_update=True)
        if row is None:
            row = VoiceQueueStats(queue=queue, day=day, joined=0, answered=0, abandoned=0,
                                  wait_seconds=0, talk_seconds=0)  # fmt: skip
            uow.session.add(row)
        row.joined += add.joined
        row.answered += add.answered
        row.abandoned += add.abandoned
        row.wait_seconds += add.wait_seconds
        row.talk_seconds += add.talk_seconds


_CALLBACK_PREFIX = "pasto195-callback-"


def callback_action_id(conversation_id: int) -> str:
    """The ActionID of a callback's Originate: it names the call, so its outcome finds the row."""
    return f"{_CALLBACK_PREFIX}{conversation_id}-{uuid.uuid4().hex}"


def _conversation_of(action_id: str) -> int | None:
    head, _, _ = action_id.removeprefix(_CALLBACK_PREFIX).partition("-")
    return int(head) if action_id.startswith(_CALLBACK_PREFIX) and head.isdigit() else None


async def _dialing_callback(uow: UnitOfWork, action_id: str) -> VoiceCallback | None:
    """The callback this Originate dialled, locked. Asterisk may answer a fast failure before the
    dialler committed `dialing` with this ActionID, so the row is locked by its conversation first:
    that waits for the dialler's commit (it holds the row) instead of missing the outcome."""
    conversation_id = _conversation_of(action_id)
    which = (
        VoiceCallback.conversation_id == conversation_id
        if conversation_id is not None
        else VoiceCallback.provider_ref == action_id
    )
    callback = await uow.session.scalar(select(VoiceCallback).where(which).with_for_update())
    if callback is None or callback.provider_ref != action_id or callback.status != "dialing":
        return None
    return callback


async def _originated(uow: UnitOfWork, event: OriginateResult, callbacks: CallbackOutcomes | None) -> None:
    callback = await _dialing_callback(uow, event.action_id)
    if callback is None:
        return
    if event.success:
        callback.status = "done"
    elif callbacks is not None:
        await callbacks.not_answered(
            uow, callback, _ORIGINATE_REASONS.get(event.reason, f"reason-{event.reason}")
        )
    else:
        callback.status = "failed"


async def close_vanished_calls(uow: UnitOfWork, live: tuple[ChannelSnapshot, ...]) -> int:
    """Calls Asterisk no longer has (their hang-up fell in a disconnection) end now."""
    alive = {c.linkedid for c in live}
    query = select(Conversation).where(
        Conversation.channel == VOICE, Conversation.topic == TOPIC, Conversation.ended_at.is_(None)
    )
    closed = 0
    for call in (await uow.session.scalars(query)).all():
        if call.external_id in alive or (call.flow_state or {}).get("callback"):
            continue
        call.ended_at = uow.clock.now()
        call.state = "abandoned" if call.state == "queued" else "closed"
        closed += 1
    return closed


def _stamp(event: Any) -> datetime:
    return datetime.fromtimestamp(event.timestamp, UTC) if event.timestamp else datetime.now(UTC)


def _at(event: ChannelEvent, uow: UnitOfWork) -> datetime:
    return _stamp(event) if event.timestamp else uow.clock.now()
