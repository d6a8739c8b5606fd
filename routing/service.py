"""`RouterService`: what channels, the agent console and jobs call to route work (interface #4).

Every method runs inside the caller's unit of work and the CALLER commits; events (offers, presence,
positions) and the engines' wake-up go out only after that commit. The engine (`routing.engine`)
makes offers in the background; this service resolves them and changes what the engine reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.errors import Conflict, InvalidInput, NotFound
from contact_center.core.officials import Presence
from contact_center.core.uow import UnitOfWork
from routing import bus, notices, outcomes, positions, queue_hours, reservations, stats
from routing import presence as presence_rows
from routing.persistence import LIVE, Setup, load_setup
from routing.priority import effective_priority
from routing.stats import QueueStats

ItemKind = Literal["conversation", "ticket"]
ItemChannel = Literal["voice", "chat", "app", "pqrd"]
LIVE_CHANNELS = frozenset({"voice", "chat", "app"})
# Voice is gated by the IVR flow's business_hours node, which can still speak to the caller.
HOURS_GATED = frozenset({"chat", "app"})


@dataclass(frozen=True)
class NewWorkItem:
    kind: ItemKind
    queue_code: str
    channel: ItemChannel
    conversation_id: int | None = None
    ticket_id: int | None = None
    priority: int = 0
    callback_number: str | None = None
    distributor: Literal["asterisk"] | None = None  # None: the router offers it; else mirrored only


@dataclass(frozen=True)
class Assignment:
    work_item_id: int
    conversation_id: int | None
    ticket_id: int | None
    official_id: int


@dataclass(frozen=True)
class QueuePosition:
    position: int  # 1 is next
    eta_seconds: int | None


SetupSource = Callable[[UnitOfWork], Awaitable[Setup]]


class RouterService:
    """The router's commands. `setup` gives the queues and settings (the engine's cached copy)."""

    def __init__(self, setup: SetupSource = load_setup, origin: str = "") -> None:
        self._setup = setup
        self.origin = origin

    async def setup(self, uow: UnitOfWork) -> Setup:
        return await self._setup(uow)

    # Items ------------------------------------------------------------------------------------

    async def enqueue(self, uow: UnitOfWork, item: NewWorkItem, *, effective: int | None = None) -> int:
        """Put work in a queue; returns the work item's id. Idempotent per conversation/ticket:
        enqueueing one that is already live returns the same id and keeps its place."""
        _check_new(item)
        setup = await self.setup(uow)
        queue = setup.queue_by_code(item.queue_code)
        if queue is None:
            raise NotFound(f"La cola «{item.queue_code}» no existe.", code="unknown_queue")
        existing = await self._live_item(uow, item)
        if existing is not None:
            return existing
        if item.channel in HOURS_GATED:  # new live work only; see routing.queue_hours
            await queue_hours.refuse_if_closed(uow, queue.name, queue.hours)
        now = uow.clock.now()
        row = WorkItem(
            kind=item.kind,
            conversation_id=item.conversation_id,
            ticket_id=item.ticket_id,
            queue_id=queue.id,
            channel=item.channel,
            status="waiting",
            priority=item.priority,
            effective_priority=effective
            if effective is not None
            else effective_priority(queue.priority, item_priority=item.priority),
            enqueued_at=now,
            callback_number=item.callback_number,
            distributor=item.distributor,
            updated_at=now,
        )
        try:
            async with uow.session.begin_nested():
                uow.session.add(row)
        except IntegrityError:
            # Another process enqueued the same conversation/ticket a moment ago: theirs stands.
            found = await self._live_item(uow, item)
            if found is None:
                raise
            return found
        await bus.announce(uow, items=[row.id], origin=self.origin)
        if item.conversation_id is not None:
            await positions.push_one(uow, row)
        return row.id

    async def _live_item(self, uow: UnitOfWork, item: NewWorkItem) -> int | None:
        column = WorkItem.conversation_id if item.kind == "conversation" else WorkItem.ticket_id
        value = item.conversation_id if item.kind == "conversation" else item.ticket_id
        found: int | None = await uow.session.scalar(
            select(WorkItem.id).where(column == value, WorkItem.status.in_(LIVE))
        )
        return found

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        """The caller hung up or the citizen left while waiting (or while being offered)."""
        row = await uow.session.scalar(
            select(WorkItem).where(
                WorkItem.conversation_id == conversation_id, WorkItem.status.in_(("waiting", "offered"))
            )
        )
        if row is None:
            return
        holder = row.official_id
        if holder is not None:
            await reservations.lock_officials(uow, [holder])
            await self._revoke_item_offer(uow, row.id, holder, "abandoned")
        now = uow.clock.now()
        await uow.session.execute(
            update(WorkItem)
            .where(WorkItem.id == row.id, WorkItem.status.in_(("waiting", "offered")))
            .values(status="abandoned", official_id=None, ended_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await bus.announce(uow, items=[row.id], officials=[holder] if holder else [], origin=self.origin)

    async def _revoke_item_offer(
        self, uow: UnitOfWork, work_item_id: int, official_id: int, reason: str
    ) -> None:
        rows = (
            await uow.session.execute(
                update(RoutingOffer)
                .where(RoutingOffer.work_item_id == work_item_id, RoutingOffer.status == "offered")
                .values(status="revoked", decided_at=uow.clock.now())
                .returning(RoutingOffer.id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        for (offer_id,) in rows:
            uow.emit(notices.offer_revoked(offer_id, official_id, reason))

    # Officials --------------------------------------------------------------------------------

    async def set_presence(
        self, uow: UnitOfWork, official_id: int, presence: Presence, reason: str | None = None
    ) -> None:
        """offline | available | away (with a reason) | busy. Leaving `available` withdraws the
        official's open offers (their items wait again at their place)."""
        presence = Presence(presence)
        reason = (reason or None) if presence is Presence.AWAY else None
        leaving = presence is not Presence.AVAILABLE
        # Becoming available: the one statement also tells the other processes. Leaving: the
        # items of withdrawn offers are only known after the change, so it is announced after.
        notice = None if leaving else bus.notify_payload(officials=[official_id], origin=self.origin)
        row = await presence_rows.change(uow, official_id, presence, reason, notice)
        if row is None:
            raise NotFound("El funcionario no existe o está inactivo.", code="unknown_official")
        revoked = await reservations.revoke_offers(uow, official_id, "presence") if leaving else []
        requeued = [work_item_id for work_item_id, _ in revoked]
        for event in notices.presence(official_id, row.presence, row.away_reason):
            uow.emit(event)
        freed = tuple(channel for _, channel in revoked)  # withdrawn offers no longer count on them
        hint = bus.PresenceHint(
            official_id, row.presence, row.away_reason, row.wrap_up_until, row.idle_since, freed=freed
        )
        if row.notified:  # the statement itself told the other processes
            bus.tell_this_process(uow, officials=[official_id], origin=self.origin, hints=[hint])
        else:
            await bus.announce(uow, items=requeued, officials=[official_id], origin=self.origin, hints=[hint])

    # Offers -----------------------------------------------------------------------------------

    async def accept(self, uow: UnitOfWork, offer_id: int, official_id: int) -> Assignment:
        """The official takes the offer before it expires; the item becomes their work."""
        item = await outcomes.accept_offer(uow, offer_id, official_id, uow.clock.now())
        if item is None:
            raise await self._why_not_pending(uow, offer_id, official_id)
        if item.ticket_id is not None:
            from routing import tickets  # the ticket service is heavy; only PQRD work needs it

            await tickets.assign_ticket(uow, item.ticket_id, official_id)
        uow.emit(notices.assignment(official_id, item.id, item.conversation_id, item.ticket_id))
        # No engine needs waking: offered and assigned work count the same against capacity.
        return Assignment(item.id, item.conversation_id, item.ticket_id, official_id)

    async def _why_not_pending(self, uow: UnitOfWork, offer_id: int, official_id: int) -> Exception:
        offer = await uow.session.get(RoutingOffer, offer_id)
        if offer is None or offer.official_id != official_id:
            return NotFound("La oferta no existe.", code="offer_not_found")
        if offer.status == "offered":
            return Conflict("La oferta venció.", code="offer_expired")
        return Conflict("La oferta ya fue resuelta.", code="offer_not_pending", status=offer.status)

    async def reject(self, uow: UnitOfWork, offer_id: int, official_id: int) -> None:
        """The official declines: the item waits again at its original place; a miss counts."""
        officials = await reservations.lock_officials(uow, [official_id])
        rows = (
            await uow.session.execute(
                update(RoutingOffer)
                .where(
                    RoutingOffer.id == offer_id,
                    RoutingOffer.official_id == official_id,
                    RoutingOffer.status == "offered",
                )
                .values(status="rejected", decided_at=uow.clock.now())
                .returning(RoutingOffer.work_item_id)
                .execution_options(synchronize_session=False)
            )
        ).first()
        if rows is None:
            raise await self._why_not_pending(uow, offer_id, official_id)
        await reservations.requeue(uow, rows.work_item_id, official_id)
        setup = await self.setup(uow)
        others = await reservations.record_miss(uow, setup, officials[official_id])
        await bus.announce(
            uow, items=[rows.work_item_id, *others], officials=[official_id], origin=self.origin
        )

    async def complete(
        self, uow: UnitOfWork, work_item_id: int, official_id: int, wrap_up_code: str | None = None
    ) -> None:
        """The work is done: capacity is freed and, after live work, the official's wrap-up starts."""
        setup = await self.setup(uow)
        wrap_up = setup.tunables.wrap_up_seconds
        # Other processes hear of the official through the NOTIFY inside the completing statement;
        # the item itself is in no engine's core any more (cores hold waiting items only).
        notice = bus.notify_payload(officials=[official_id], origin=self.origin)
        done = await outcomes.complete_item(uow, work_item_id, official_id, wrap_up_code, wrap_up, notice)
        if done is None:
            raise Conflict("El trabajo no está asignado a este funcionario.", code="work_item_not_assigned")
        # This process's engine takes the official's new state with the wake-up and offers at once.
        idle_since = done.idle_since or uow.clock.now()
        hint = bus.PresenceHint(
            official_id,
            done.presence,
            done.away_reason,
            done.wrap_up_until,
            idle_since,
            freed=(done.channel,),
        )
        bus.tell_this_process(uow, officials=[official_id], origin=self.origin, hints=[hint])

    async def transfer(
        self,
        uow: UnitOfWork,
        work_item_id: int,
        *,
        to_official_id: int | None = None,
        to_queue_code: str | None = None,
    ) -> None:
        """Hand assigned work to another queue (it waits there at its original place) or offer it
        straight to one official (who may accept or reject it)."""
        from routing import transfers

        await transfers.transfer(self, uow, work_item_id, to_official_id, to_queue_code)

    # Reading ----------------------------------------------------------------------------------

    async def position(self, uow: UnitOfWork, conversation_id: int) -> QueuePosition | None:
        """Where a waiting conversation is in its queue (1 is next), or None once it is not waiting."""
        found = await positions.of_conversation(uow, conversation_id)
        return None if found is None else QueuePosition(*found)

    async def assigned_official(self, uow: UnitOfWork, conversation_id: int) -> int | None:
        """The official who accepted the conversation's offer, if one did."""
        official_id: int | None = await uow.session.scalar(
            select(WorkItem.official_id).where(
                WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned"
            )
        )
        return official_id

    async def queue_stats(self, uow: UnitOfWork) -> list[QueueStats]:
        """The live statistics of `GET /api/v1/stats/queues`."""
        return await stats.queue_stats(uow, await self.setup(uow))


def _check_new(item: NewWorkItem) -> None:
    if item.kind == "conversation" and (item.conversation_id is None or item.channel == "pqrd"):
        raise InvalidInput("Una conversación necesita su id y un canal en vivo.", code="invalid_work_item")
    if item.kind == "ticket" and (item.ticket_id is None or item.channel != "pqrd"):
        raise InvalidInput("Un PQRD se enruta por el canal «pqrd» con su id.", code="invalid_work_item")
    if item.kind not in ("conversation", "ticket") or item.channel not in (*LIVE_CHANNELS, "pqrd"):
        raise InvalidInput("Tipo o canal de trabajo desconocido.", code="invalid_work_item")
