"""The per-process routing engine: a `RoutingCore` kept as a cache of the database, and the loop
that turns its decisions into offers the database confirms.

Event-driven: a pass runs when something changed (`kick`: an item arrived, an official became
available or freed capacity, an offer was resolved; told by this process's services after commit
or by other processes through `LISTEN/NOTIFY`), when the earliest timer is due (a queue's time
step or a wrap-up end from `RoutingCore.next_step_at`, or the earliest outstanding offer's expiry),
and on a slow safety resync that rebuilds the core from the database. There is no polling over
every item.

A pass: re-read the changed rows into the core, time out expired offers (any process may), fire
the core's timers, `drain` the core for every offer possible now, and `claim` them in one database
transaction; proposals the database refuses (another process was first, capacity is gone) are just
re-read. Outside a pass the core holds no offered items: a confirmed offer leaves the core and
counts on its official's load as the database reports it, so every process computes the same
loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from routing import bus, notices, reservations, tickets
from routing.broadcasts import Broadcasts
from routing.core import Channel, Offer, OfficialSnapshot, Presence, RoutingCore, StepFired, StepKind
from routing.core.records import ItemStatus
from routing.persistence import Setup, item_states, load_setup, official_snapshots, snapshot_of

log = logging.getLogger(__name__)
_MAX_ROUNDS = 4  # drain -> claim rounds per pass; refused proposals are re-read between rounds


class RoutingEngine:
    """One per process. `start()` loads the core and runs the loop; `process()` runs one pass
    (tests call it directly with a fake clock)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        *,
        resync_seconds: float = 30.0,
        listen_dsn: str | None = None,
        stats_interval: float = 1.0,
        origin: str | None = None,
    ) -> None:
        self.uow = uow
        self.clock = uow.clock
        self.origin = origin or secrets.token_hex(6)
        # The engine's own announcements (claims, time-outs) tell other processes; this engine
        # already knows what it wrote, so it does not wake itself to re-read those rows.
        self._echo = f"{self.origin}/engine"
        self.resync_seconds = resync_seconds
        self.stats_interval = stats_interval
        self.setup: Setup | None = None
        self.core: RoutingCore | None = None
        self.offers_made = 0
        self._items: set[int] = set()
        self._officials: set[int] = set()
        self._hints: dict[int, bus.PresenceHint] = {}
        self._claimed: set[int] = set()  # officials a claim of this pass read (locked, fresh)
        self._full = True
        self._next_resync: datetime | None = None
        self._next_expiry: datetime | None = None
        self.broadcasts = Broadcasts(uow, lambda: self.setup, stats_interval)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._listener = bus.PgListener(listen_dsn, self.kick, self.origin) if listen_dsn else None

    # Lifetime ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._listener is not None:
            await self._listener.start()
        await self.process()
        self._task = asyncio.create_task(self._loop(), name=f"routing-engine-{self.origin}")

    async def stop(self) -> None:
        self.broadcasts.stop()
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None:
            await self._listener.stop()

    async def setup_for(self, uow: UnitOfWork) -> Setup:
        """The cached queues and settings (the service's source); loaded when there is none yet."""
        return self.setup if self.setup is not None else await load_setup(uow)

    def kick(self, change: bus.Change) -> None:
        """Something changed (after its commit): re-read these rows on the next pass."""
        if change.origin == self._echo:
            return
        self._items.update(change.items)
        # A hinted official is taken as told (`_apply_hints`), not re-read before the offers.
        hinted = {h.official_id for h in change.hints}
        self._officials.update(o for o in change.officials if o not in hinted)
        for hint in change.hints:
            self._hints[hint.official_id] = _merged(self._hints.get(hint.official_id), hint)
        self._full = self._full or change.full
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.process()
            except Exception:
                log.exception("routing_pass_failed", extra={"origin": self.origin})
                self._full = True
                await asyncio.sleep(0.5)

    # One pass ---------------------------------------------------------------------------------

    async def process(self) -> int:
        """Run one pass now; returns the number of offers made."""
        async with self._lock:
            now = self.clock.now()
            hinted: list[int] = []
            if self._full or self.core is None or (self._next_resync and now >= self._next_resync):
                await self._reload(now)
            else:
                hinted = self._apply_hints(now)
                await self._refresh()
            await self._expire(now)
            await self._fire_steps(now)
            self._claimed.clear()
            made = await self._offer_rounds()
            unread = [o for o in hinted if o not in self._claimed]
            if unread:
                # Available officials told by a hint whom no claim read (nothing was offered to
                # them): their rows, read after the offers went out; anything the hint missed is
                # offered now. (An official who left needs none: no offer can go to them, and
                # the claim reads them afresh once they are back.)
                await self._reread([], unread)
                made += await self._offer_rounds()
            self.broadcasts.mark()  # a change woke this pass: statistics moved (sent coalesced)
            self._schedule(now)
            return made

    def _apply_hints(self, now: datetime) -> list[int]:
        """Take this process's presence changes and completions as told (the rows as committed,
        with the slots they freed), so the pass offers without reading the officials first.
        Returns the available ones: those no claim reads are re-read after the offers."""
        hints, self._hints = self._hints, {}
        core = self.core
        assert core is not None
        applied = []
        for official_id, hint in sorted(hints.items()):
            record = core.officials.get(str(official_id))
            if record is None:
                self._officials.add(official_id)  # unknown here: read before the offers
                continue
            load = {ch: record.load[ch] - record.offered[ch] for ch in record.load}
            for channel in map(Channel, hint.freed):
                load[channel] = max(0, load.get(channel, 0) - 1)
            snapshot = OfficialSnapshot(
                official_id=record.official_id,
                skills=dict(record.skills),
                capacity=dict(record.capacity),
                load=load,
                presence=Presence(hint.presence),
                away_reason=hint.away_reason,
                wrap_up_until=hint.wrap_up_until,
                idle_since=hint.idle_since,
            )
            core.official_changed(snapshot, now)
            if snapshot.presence is Presence.AVAILABLE:
                applied.append(official_id)
        return applied

    async def _reload(self, now: datetime) -> None:
        self._full = False
        self._hints.clear()
        self._items.clear()
        self._officials.clear()
        async with self.uow() as uow:
            setup = await load_setup(uow)
            changed = await tickets.sync_tickets(uow, setup)
            await bus.announce(uow, items=changed, origin=self._echo)
            await uow.commit()
        core = RoutingCore(setup.config)
        async with self.uow() as uow:
            for snap in await official_snapshots(uow):
                core.official_changed(snap, now)
            for state in await item_states(uow, setup, waiting_only=True):
                core.item_arrived(state.as_core_item(), now)
        self.setup, self.core = setup, core
        self._next_resync = now + timedelta(seconds=self.resync_seconds)
        await self._learn_expiry()

    async def _refresh(self) -> None:
        items, officials = self._items, self._officials
        self._items, self._officials = set(), set()
        if items or officials:
            await self._reread(items, officials)

    async def _reread(self, items: Iterable[int], officials: Iterable[int]) -> None:
        core, setup = self.core, self.setup
        assert core is not None and setup is not None
        now = self.clock.now()
        item_ids, official_ids = sorted(set(items)), sorted(set(officials))
        async with self.uow() as uow:
            snaps = await official_snapshots(uow, official_ids) if official_ids else []
            states = {s.id: s for s in await item_states(uow, setup, item_ids)} if item_ids else {}
        for snap in snaps:
            core.official_changed(snap, now)
        for gone in set(official_ids) - {int(s.official_id) for s in snaps}:
            record = core.officials.get(str(gone))
            if record is not None and not record.item_ids:
                core.official_removed(str(gone), now)
        for item_id in item_ids:
            self._apply_item(item_id, states.get(item_id), now)

    def _apply_item(self, item_id: int, state: object, now: datetime) -> None:
        from routing.persistence import ItemState

        core = self.core
        assert core is not None
        key = str(item_id)
        record = core.items.get(key)
        waiting = isinstance(state, ItemState) and state.status == "waiting"
        if record is not None:
            same = (
                waiting
                and isinstance(state, ItemState)
                and record.status is ItemStatus.WAITING
                and record.queue_id == state.queue_code
                and record.item_priority == state.priority
            )
            if same:
                return
            core.item_removed(key, now)
        if waiting and isinstance(state, ItemState):
            core.item_arrived(state.as_core_item(), now)

    # Offers -----------------------------------------------------------------------------------

    async def _offer_rounds(self) -> int:
        made_total = 0
        for _ in range(_MAX_ROUNDS):
            core = self.core
            assert core is not None
            proposed = core.drain(self.clock.now())
            if not proposed:
                break
            made_total += await self._claim(proposed)
        self.offers_made += made_total
        return made_total

    async def _claim(self, proposed: list[Offer]) -> int:
        core, setup = self.core, self.setup
        assert core is not None and setup is not None
        proposals = [reservations.Proposal(int(o.item_id), int(o.official_id)) for o in proposed]
        channels = {int(o.item_id): o.channel.value for o in proposed}
        try:
            async with self.uow() as uow:
                # Other processes hear of the claim from a NOTIFY sent by the claiming statement
                # itself (if it offered anything); this engine applies its claim below.
                touched = [p.official_id for p in proposals]
                notice = bus.notify_payload(list(channels), touched, origin=self._echo)
                claim = await reservations.claim_batch(uow, setup, proposals, channels, notice)
                await uow.commit()
        except Exception:
            # The offers are not made; the core's reservations must not outlive the failed claim.
            for offer in proposed:
                core.item_removed(offer.item_id, self.clock.now())
            raise
        now = self.clock.now()
        for offer in proposed:
            core.item_removed(offer.item_id, now)
        self._learn_officials(claim, {p.official_id for p in proposals}, now)
        # Refused items are re-read (they may still wait); confirmed ones left the core above.
        confirmed = {m.work_item_id for m in claim.made}
        refused = [i for i in channels if i not in confirmed]
        if refused:
            await self._reread(refused, [])
        if claim.made:
            earliest = now + timedelta(seconds=setup.tunables.offer_timeout_seconds)
            self._next_expiry = min(self._next_expiry or earliest, earliest)
            self.broadcasts.mark({m.queue_id for m in claim.made})  # the lines moved
        return len(claim.made)

    def _learn_officials(self, claim: reservations.Claim, official_ids: set[int], now: datetime) -> None:
        """The claim read the officials locked, with loads that count its offers: that is the
        database's view, so the core takes it without reading them again (skills do not change
        in a claim; an admin change announces the official and is re-read)."""
        core = self.core
        assert core is not None
        self._claimed.update(claim.officials)
        for official_id in sorted(official_ids):
            fresh = claim.officials.get(official_id)
            record = core.officials.get(str(official_id))
            if fresh is None or record is None or not fresh.row.active:
                # Gone, deactivated or unknown here: read in full on the next pass.
                self._officials.add(official_id)
                self._wake.set()
                continue
            skills = dict(record.skills)
            core.official_changed(snapshot_of(fresh.row, skills, fresh.capacity, fresh.load), now)

    async def _expire(self, now: datetime) -> None:
        if self._next_expiry is None or self._next_expiry > now:
            return
        setup = self.setup
        assert setup is not None
        async with self.uow() as uow:
            items, officials = await reservations.expire(uow, setup)
            await bus.announce(uow, items=items, officials=officials, origin=self._echo)
            await uow.commit()
        await self._learn_expiry()
        if items or officials:
            await self._reread(items, officials)

    async def sweep(self) -> None:
        """Time out every offer expired by now (whoever made it) and route again."""
        self._next_expiry = self.clock.now()
        await self.process()

    # Timers -----------------------------------------------------------------------------------

    async def _fire_steps(self, now: datetime) -> None:
        core = self.core
        assert core is not None
        callbacks = [
            s for s in core.step_timer(now) if isinstance(s, StepFired) and s.kind is StepKind.CALLBACK
        ]
        if not callbacks:
            return
        async with self.uow() as uow:
            for signal in callbacks:
                await _callback_due(uow, int(signal.item_id), signal.queue_id, now)
            await uow.commit()

    async def _learn_expiry(self) -> None:
        """The earliest outstanding offer's expiry, whoever made it (on reload and after sweeps;
        in between, this engine's own offers keep it current)."""
        async with self.uow() as uow:
            self._next_expiry = await uow.session.scalar(
                select(func.min(RoutingOffer.expires_at)).where(RoutingOffer.status == "offered")
            )

    def _schedule(self, now: datetime) -> None:
        core = self.core
        candidates = [t for t in (self._next_resync, self._next_expiry) if t is not None]
        if core is not None and (step := core.next_step_at()) is not None:
            candidates.append(step)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not candidates:
            return
        delay = max(0.0, (min(candidates) - now).total_seconds())
        with contextlib.suppress(RuntimeError):  # no running loop: a test driving passes by hand
            self._timer = asyncio.get_running_loop().call_later(delay, self._wake.set)


def _merged(earlier: bus.PresenceHint | None, later: bus.PresenceHint) -> bus.PresenceHint:
    """Two hints for one official before a pass: the later state, with every slot both freed."""
    if earlier is None or not earlier.freed:
        return later
    return replace(later, freed=earlier.freed + later.freed)


async def _callback_due(uow: UnitOfWork, work_item_id: int, queue_code: str, now: datetime) -> None:
    """The queue's callback step reached a waiting conversation: tell its channel once."""
    row = (
        await uow.session.execute(
            update(WorkItem)
            .where(
                WorkItem.id == work_item_id,
                WorkItem.status == "waiting",
                WorkItem.callback_due_at.is_(None),
            )
            .values(callback_due_at=now, updated_at=now)
            .returning(WorkItem.conversation_id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if row is not None and row.conversation_id is not None:
        uow.emit(notices.queue_callback(row.conversation_id, work_item_id, queue_code))
