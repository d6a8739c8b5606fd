"""The officials' side of a call on the 195 line: hold, transfer, hang up, wrap up.

Only the official the call is assigned to may act (`Forbidden` otherwise). Each action is checked
in a first transaction, changes the live call through the provider's `CallControl` (Twilio REST,
Asterisk AMI) with no transaction open (a slow provider must not hold SQLite's single write lock,
or PostgreSQL's row locks, while every other caller waits), then updates the router's work item and
the conversation and records a `call_events` row in a second transaction, which it commits. A
provider failure (`CallControlFailed`, 502) leaves nothing recorded.

Transfers go through the router: to a queue, the work item waits there again at its original place
and the caller hears the queue; to an official on Twilio, the router offers the call to them (they
accept or reject as with any offer) while the caller waits in the queue, and is dialled to them on
acceptance; on Asterisk (where app_queue, not the router, hands out calls) the official is dialled
at once if they are available with a free voice slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update

from contact_center.core.db.models import CallEvent, Conversation
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork, UnitOfWorkFactory
from ivr.control import CallControl, CallControlFailed
from ivr.providers import provider_of
from routing import bus, reservations
from routing.service import RouterService

log = logging.getLogger(__name__)
ControlOf = Callable[[str], CallControl | None]  # provider ("twilio", "asterisk") -> its control


@dataclass(frozen=True)
class _Target:
    """Where the provider finds a live call: plain values, usable once the transaction is over."""

    provider: str
    external_id: str
    channel: str | None

    @staticmethod
    def of(call: LiveCall) -> _Target:
        return _Target(call.provider, call.conversation.external_id, call.channel)


@dataclass(frozen=True)
class _Move:
    call: _Target
    queue_code: str | None  # the queue the caller waits in again; None: connected directly


@dataclass(frozen=True)
class LiveCall:
    conversation: Conversation
    item: WorkItem | None  # the router's assigned item (None once completed)
    official_id: int
    provider: str
    channel: str | None


class CallsService:
    """What `/agents` call controls run; every method takes the caller's unit of work."""

    def __init__(self, controls: ControlOf, router: Callable[[], RouterService | None]) -> None:
        self._controls = controls
        self._router = router

    async def hold(self, uows: UnitOfWorkFactory, conversation_id: int, official_id: int, on: bool) -> None:
        """Put the caller on hold (music) or take them off it (back to the same official)."""
        call = await self._target(uows, conversation_id, official_id)
        ref = await self._control(call).hold(call.external_id, call.channel, official_id, on)
        async with uows() as uow:
            conversation = await _voice_call(uow, conversation_id)
            # The caller's leg left the IVR (Asterisk ends its AGI): the call goes on, the record stays open.
            conversation.flow_state = {
                **(conversation.flow_state or {}),
                "on_hold": on,
                "moved_by_control": True,
            }
            await _record(uow, conversation.id, official_id, "hold_on" if on else "hold_off", ref)
            await uow.commit()

    async def transfer(
        self,
        uows: UnitOfWorkFactory,
        conversation_id: int,
        official_id: int,
        *,
        to_official_id: int | None = None,
        to_queue_code: str | None = None,
    ) -> None:
        """Cold transfer to another official or to a queue (exactly one of them).

        The router's side is tried first and rolled back (it refuses an unknown queue, an
        unavailable official...), the provider moves the call with no transaction open, then the
        router's side is done again and committed."""
        if (to_official_id is None) == (to_queue_code is None):
            raise InvalidInput(
                "Indique un funcionario o una cola de destino.", code="transfer_target_required"
            )
        async with uows() as uow:  # a dry run, never committed
            move = await self._transfer_rows(uow, conversation_id, official_id, to_official_id, to_queue_code)
        control, external, channel = self._control(move.call), move.call.external_id, move.call.channel
        if move.queue_code is not None:
            ref = await control.requeue(external, channel, move.queue_code)
        else:
            assert to_official_id is not None
            ref = await control.connect(external, channel, to_official_id)
        async with uows() as uow:
            move = await self._transfer_rows(uow, conversation_id, official_id, to_official_id, to_queue_code)
            target = f"official:{to_official_id}" if to_official_id else f"queue:{to_queue_code}"
            await _record(uow, conversation_id, official_id, "transferred", ref, target=target)
            await uow.commit()

    async def _transfer_rows(
        self,
        uow: UnitOfWork,
        conversation_id: int,
        official_id: int,
        to_official_id: int | None,
        to_queue_code: str | None,
    ) -> _Move:
        call = await self._live(uow, conversation_id, official_id)
        if call.item is None:
            raise Conflict("La llamada ya no está asignada.", code="work_item_not_assigned")
        router = self._require_router()
        queue_code: str | None = to_queue_code
        if to_queue_code is not None:
            await router.transfer(uow, call.item.id, to_queue_code=to_queue_code)
        elif call.item.distributor == "asterisk":
            assert to_official_id is not None
            await _hand_over(uow, router, call.item, to_official_id)
            queue_code = None
        else:
            await router.transfer(uow, call.item.id, to_official_id=to_official_id)
            # The caller waits in the item's queue until the target accepts the router's offer.
            queue_code = (await router.setup(uow)).queues[call.item.queue_id].code
        direct = to_official_id is not None and call.item.distributor == "asterisk"
        conversation = call.conversation
        conversation.flow_state = {**(conversation.flow_state or {}), "moved_by_control": True}
        conversation.state = "active" if direct else "queued"
        conversation.official_id = to_official_id if direct else None
        return _Move(_Target.of(call), queue_code)

    async def hangup(self, uows: UnitOfWorkFactory, conversation_id: int, official_id: int) -> None:
        """The official ends the call: capacity is freed and their wrap-up starts."""
        call = await self._target(uows, conversation_id, official_id)
        ref = await self._control(call).hang_up(call.external_id, call.channel)
        async with uows() as uow:
            # The provider's end-of-call webhook may have come first and closed the call already.
            conversation = await _voice_call(uow, conversation_id)
            item = await self._assigned(uow, conversation_id)
            if item is not None and item.official_id == official_id:
                await self._require_router().complete(uow, item.id, official_id)
            if conversation.state != "closed":
                conversation.state = "wrap_up"
            conversation.ended_at = conversation.ended_at or uow.clock.now()
            await _record(uow, conversation.id, official_id, "hung_up_by_official", ref)
            await uow.commit()

    async def wrap_up(
        self, uow: UnitOfWork, conversation_id: int, official_id: int, wrap_up_code: str | None
    ) -> None:
        """After the call: the wrap-up code on the conversation and its work item; it closes."""
        conversation = await _voice_call(uow, conversation_id)
        if conversation.official_id != official_id:
            raise Forbidden("Esta llamada no está asignada a usted.", code="not_your_call")
        item = await self._assigned(uow, conversation_id)
        if item is not None:
            await self._require_router().complete(uow, item.id, official_id, wrap_up_code)
        else:
            await uow.session.execute(
                update(WorkItem)
                .where(
                    WorkItem.conversation_id == conversation_id,
                    WorkItem.official_id == official_id,
                    WorkItem.status == "completed",
                )
                .values(wrap_up_code=wrap_up_code)
                .execution_options(synchronize_session=False)
            )
        conversation.wrap_up_code = wrap_up_code
        conversation.state = "closed"
        conversation.ended_at = conversation.ended_at or uow.clock.now()

    # -- helpers --------------------------------------------------------------------------------
    async def _live(self, uow: UnitOfWork, conversation_id: int, official_id: int) -> LiveCall:
        conversation = await _voice_call(uow, conversation_id)
        item = await self._assigned(uow, conversation_id)
        holder = item.official_id if item is not None else conversation.official_id
        if holder != official_id:
            raise Forbidden("Esta llamada no está asignada a usted.", code="not_your_call")
        if conversation.ended_at is not None:
            raise Conflict("La llamada ya terminó.", code="call_ended")
        stored = conversation.flow_state or {}
        channel = stored.get("channel") or await _caller_leg(uow, conversation)
        return LiveCall(conversation, item, official_id, provider_of(conversation), channel)

    async def _assigned(self, uow: UnitOfWork, conversation_id: int) -> WorkItem | None:
        found: WorkItem | None = await uow.session.scalar(
            select(WorkItem)
            .where(WorkItem.conversation_id == conversation_id, WorkItem.status == "assigned")
            .with_for_update()
        )
        return found

    async def _target(self, uows: UnitOfWorkFactory, conversation_id: int, official_id: int) -> _Target:
        """The live call's provider address, checked in a transaction that ends before the provider
        is asked anything."""
        async with uows() as uow:
            return _Target.of(await self._live(uow, conversation_id, official_id))

    def _control(self, call: LiveCall | _Target) -> CallControl:
        control = self._controls(call.provider)
        if control is None:
            raise CallControlFailed(
                f"El control de llamadas de {call.provider} no está configurado.", code="voice_unavailable"
            )
        return control

    def _require_router(self) -> RouterService:
        router = self._router()
        if router is None:
            raise Conflict("El enrutador no está disponible.", code="router_unavailable")
        return router


async def _voice_call(uow: UnitOfWork, conversation_id: int) -> Conversation:
    conversation = await uow.session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None or conversation.channel != "voice":
        raise NotFound("La llamada no existe.", code="call_not_found")
    return conversation


async def _caller_leg(uow: UnitOfWork, conversation: Conversation) -> str | None:
    """The caller's channel as the AMI mirror saw it (its uniqueid is the call's linkedid)."""
    rows = await uow.session.scalars(
        select(CallEvent.data).where(CallEvent.conversation_id == conversation.id).order_by(CallEvent.id)
    )
    for data in rows:
        if data.get("uniqueid") == conversation.external_id and data.get("channel"):
            return str(data["channel"])
    return None


async def _hand_over(uow: UnitOfWork, router: RouterService, item: WorkItem, to_official_id: int) -> None:
    """An Asterisk call goes straight to another official: ready, with a free voice slot."""
    officials = await reservations.lock_officials(uow, [i for i in (item.official_id, to_official_id) if i])
    target = officials.get(to_official_id)
    if target is None or to_official_id == item.official_id:
        raise InvalidInput("Funcionario de destino no válido.", code="unknown_official")
    now = uow.clock.now()
    if not reservations.is_ready(target, now):
        raise Conflict("El funcionario de destino no está disponible.", code="official_unavailable")
    if (await reservations.free_slots(uow, [to_official_id]))[(to_official_id, "voice")] < 1:
        raise Conflict("El funcionario de destino no tiene cupo en el canal.", code="official_full")
    previous = item.official_id
    item.official_id, item.assigned_at, item.updated_at = to_official_id, now, now
    await uow.session.flush()
    touched = [to_official_id, *([previous] if previous else [])]
    await bus.announce(uow, items=[item.id], officials=touched, origin=router.origin)


async def _record(
    uow: UnitOfWork, conversation_id: int, official_id: int, kind: str, ref: str, **data: str
) -> None:
    now = uow.clock.now()
    uow.session.add(
        CallEvent(
            conversation_id=conversation_id,
            kind=kind,
            dedup_key=f"control:{kind}:{now.isoformat()}:{ref}"[:120],
            data={"official_id": official_id, "provider_ref": ref, **data},
            at=now,
        )
    )
    await uow.session.flush()
    log.info("call_control", extra={"conversation_id": conversation_id, "action": kind})
