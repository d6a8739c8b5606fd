"""The `/agents` namespace of the console: presence, offers, chats, notes, transfers, wrap-up, PQRDs.

Every event is validated (`contact_center.core.http.socket_handlers.event`) and authorized: an official
acts only on their own offers, conversations and tickets. State lives in the database and the socket.io
session.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from agents_ui import canned, filing, router_port, workspace
from channels.webchat.namespace import ClientId
from contact_center.chat.services import console
from contact_center.chat.services import conversations as chat
from contact_center.core.auth import Principal
from contact_center.core.db.models import Conversation, Official
from contact_center.core.errors import Conflict
from contact_center.core.events import CHAT, conversation_room
from contact_center.core.http.keys import SETTINGS, UOW
from contact_center.core.http.realtime import AgentsNamespace
from contact_center.core.http.socket_handlers import Empty, EventModel, ValidatingNamespace, event
from contact_center.core.officials import Presence
from contact_center.pqrd import access
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services.tickets import Actor

log = logging.getLogger(__name__)
Id = Field(ge=1, le=2**53)


class PresenceIn(EventModel):
    presence: Literal["available", "away", "offline"]
    reason: str | None = Field(default=None, max_length=100)


class OfferIn(EventModel):
    offer_id: int = Id


class ConversationIn(EventModel):
    conversation_id: int = Id


class SendIn(EventModel):
    conversation_id: int = Id
    client_id: str = ClientId
    body: str = Field(min_length=1, max_length=chat.MAX_BODY)
    internal: bool = False


class TypingIn(EventModel):
    conversation_id: int = Id
    typing: bool


class TransferIn(EventModel):
    work_item_id: int = Id
    conversation_id: int | None = Field(default=None, ge=1)
    to_official_id: int | None = Field(default=None, ge=1)
    to_queue_code: str | None = Field(default=None, max_length=60)


class CompleteIn(EventModel):
    work_item_id: int | None = Field(default=None, ge=1)
    conversation_id: int = Id
    wrap_up_code: str | None = Field(default=None, max_length=60)


class ConvertIn(EventModel):
    conversation_id: int = Id
    type: PqrdType = Field(default=PqrdType.PETICION, strict=False)  # the code as a JSON string
    subject: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=3, max_length=20_000)
    dependencia: str | None = Field(default=None, max_length=40)


class CannedIn(EventModel):
    query: str = Field(default="", max_length=60)


class TicketActionIn(EventModel):
    ticket_id: int = Id
    action: console.TicketAction
    text: str | None = Field(default=None, max_length=20_000)
    new_due_date: date | None = Field(default=None, strict=False)  # an ISO date string from JSON
    authority: str | None = Field(default=None, max_length=300)


class CallIn(EventModel):
    conversation_id: int = Id
    on: bool = True
    to_official_id: int | None = Field(default=None, ge=1)
    to_queue_code: str | None = Field(default=None, max_length=60)


class ConsoleAgentsNamespace(ValidatingNamespace, AgentsNamespace):
    def __init__(self, namespace: str, app: web.Application) -> None:
        super().__init__(namespace, app[UOW])
        self.app = app

    @property
    def secret(self) -> bytes:
        return self.app[SETTINGS].signing_key()

    async def joined(self, sid: str, principal: Principal) -> None:
        async with self.uow() as uow:
            official = await uow.session.get(Official, principal.official_id)
            assert official is not None
            state = {"presence": official.presence, "reason": official.away_reason}
        await self.emit("console.ready", {"official": _who(principal), **state}, to=sid)

    @event(PresenceIn)
    async def on_presence(self, sid: str, body: PresenceIn) -> dict[str, Any]:
        me = await self.principal(sid)
        if body.presence == "away" and not body.reason:
            raise Conflict("Indique el motivo de la ausencia.", code="reason_required")
        async with self.uow() as uow:
            await router_port.set_presence(
                self.app, uow, me.official_id, Presence(body.presence), body.reason
            )
        return {"presence": body.presence, "reason": body.reason}

    @event(OfferIn)
    async def on_accept(self, sid: str, body: OfferIn) -> dict[str, Any]:
        me = await self.principal(sid)
        router = router_port.require_router(self.app)
        async with self.uow() as uow:
            await access.offer(uow, me, body.offer_id)
            assignment = await router.accept(uow, body.offer_id, me.official_id)
            await uow.commit()
        out: dict[str, Any] = {
            "work_item_id": assignment.work_item_id,
            "conversation_id": assignment.conversation_id,
            "ticket_id": assignment.ticket_id,
        }
        if assignment.conversation_id is not None:
            out.update(await self._attend(me, assignment.conversation_id))
        return out

    async def _attend(self, me: Principal, conversation_id: int) -> dict[str, Any]:
        voice = False
        async with self.uow() as uow:
            conversation = await uow.session.get(Conversation, conversation_id)
            if conversation is not None and conversation.channel == chat.CHANNEL:
                await chat.official_joined(uow, conversation_id, me.official_id)
            elif conversation is not None and conversation.channel == "voice":
                # The call is theirs from the acceptance (the 195 line dials them next).
                conversation.official_id = me.official_id
                await uow.commit()
                voice = True
        if voice:  # after the commit, outside the transaction: a REST call to the provider
            from channels.twilio.dequeue import dequeue_soon

            dequeue_soon(self.app, conversation_id)
        return await self._open(me, conversation_id)

    async def _open(self, me: Principal, conversation_id: int) -> dict[str, Any]:
        async with self.uow() as uow:
            conversation = await console.own_conversation(uow, conversation_id, me)
            return {
                "conversation": {
                    "id": conversation.id,
                    "channel": conversation.channel,
                    "state": conversation.state,
                    "topic": conversation.topic,
                    "ticket_id": conversation.ticket_id,
                },
                "messages": await chat.transcript(uow, conversation_id, internal=True),
                "history": await console.citizen_history(uow, conversation.citizen_id, me),
            }

    @event(OfferIn)
    async def on_reject(self, sid: str, body: OfferIn) -> dict[str, Any]:
        me = await self.principal(sid)
        router = router_port.require_router(self.app)
        async with self.uow() as uow:
            await access.offer(uow, me, body.offer_id)
            await router.reject(uow, body.offer_id, me.official_id)
            await uow.commit()
        return {"offer_id": body.offer_id}

    @event(ConversationIn)
    async def on_open(self, sid: str, body: ConversationIn) -> dict[str, Any]:
        return await self._open(await self.principal(sid), body.conversation_id)

    @event(SendIn)
    async def on_send(self, sid: str, body: SendIn) -> dict[str, Any]:
        me = await self.principal(sid)
        async with self.uow() as uow:
            conversation = await console.own_conversation(uow, body.conversation_id, me)
            official = await uow.session.get(Official, me.official_id)
            payload, created = await chat.post_message(
                uow,
                conversation.id,
                "official",
                body.body,
                body.client_id,
                official=official,
                internal=body.internal,
            )
        return {"message": payload, "duplicate": not created}

    @event(TypingIn)
    async def on_typing(self, sid: str, body: TypingIn) -> None:
        me = await self.principal(sid)
        async with self.uow() as uow:
            await console.own_conversation(uow, body.conversation_id, me)
        payload = {"conversation_id": body.conversation_id, "sender": "official", "typing": body.typing}
        await self.emit("typing", payload, to=conversation_room(body.conversation_id), namespace=CHAT)

    @event(TransferIn)
    async def on_transfer(self, sid: str, body: TransferIn) -> dict[str, Any]:
        me = await self.principal(sid)
        if (body.to_official_id is None) == (body.to_queue_code is None):
            raise Conflict("Indique un funcionario o una cola de destino.", code="transfer_target_required")
        router = router_port.require_router(self.app)
        async with self.uow() as uow:
            item = await access.work_item(uow, me, body.work_item_id)
            if body.conversation_id is not None and item.conversation_id != body.conversation_id:
                raise access.hidden("work_item")
            await router.transfer(
                uow, body.work_item_id, to_official_id=body.to_official_id, to_queue_code=body.to_queue_code
            )
            if body.conversation_id is not None:  # the first official lets go; the citizen is told
                target = await workspace.target_label(uow, body.to_official_id, body.to_queue_code)
                await workspace.detach_transferred(uow, body.conversation_id, target)
            await uow.commit()
        return {"work_item_id": body.work_item_id}

    @event(CompleteIn)
    async def on_complete(self, sid: str, body: CompleteIn) -> dict[str, Any]:
        me = await self.principal(sid)
        router = router_port.router_of(self.app)
        async with self.uow() as uow:
            conversation = await console.own_conversation(uow, body.conversation_id, me)
            if body.work_item_id is not None:
                item = await access.work_item(uow, me, body.work_item_id)
                if item.conversation_id != conversation.id:
                    raise access.hidden("work_item")
            if router is not None:
                work_item_id = body.work_item_id or await console.live_work_item(uow, conversation.id, me)
                if work_item_id is not None:
                    await router.complete(uow, work_item_id, me.official_id, body.wrap_up_code)
            conversation.state = "closed"
            conversation.wrap_up_code = body.wrap_up_code
            conversation.ended_at = conversation.ended_at or uow.clock.now()
            payload = {"conversation_id": conversation.id, "by": "official"}
            uow.emit(chat_event("chat.ended", conversation.id, payload))
            await uow.commit()
        return {"conversation_id": body.conversation_id, "state": "closed"}

    @event(ConvertIn)
    async def on_convert_pqrd(self, sid: str, body: ConvertIn) -> dict[str, Any]:
        me = await self.principal(sid)
        pqrd = chat.ChatPqrd(body.type, body.subject, body.description, body.dependencia)
        async with self.uow() as uow:
            await console.own_conversation(uow, body.conversation_id, me)
            result = await chat.file_from_chat(
                uow,
                body.conversation_id,
                pqrd,
                Actor("official", me.official_id),
                router_port.dispatcher_for(self.app),
                filing.filing_deps(self.app),
            )
        await filing.after_filing(self.app, result)
        filed = result.filed
        return {"radicado": filed.radicado, "ticket_id": filed.id, "due_date": filed.due_date.isoformat()}

    @event(CannedIn)
    async def on_canned(self, sid: str, body: CannedIn) -> dict[str, Any]:
        me = await self.principal(sid)
        async with self.uow() as uow:
            return {"answers": await canned.search(uow, body.query, me.dependencia_id)}

    @event(Empty)
    async def on_tickets(self, sid: str, body: Empty) -> dict[str, Any]:
        me = await self.principal(sid)
        async with self.uow() as uow:
            return {"tickets": await console.my_tickets(uow, me.official_id)}

    @event(TicketActionIn)
    async def on_ticket_action(self, sid: str, body: TicketActionIn) -> dict[str, Any]:
        me = await self.principal(sid)
        async with self.uow() as uow:
            ticket = await console.own_ticket(uow, body.ticket_id, me)
            await console.apply_ticket_action(
                uow,
                ticket,
                me,
                body.action,
                text=body.text,
                new_due_date=body.new_due_date,
                authority=body.authority,
            )
            await uow.commit()
            return {"ticket": console.ticket_summary(ticket, None) | {"status": ticket.status}}

    @event(CallIn)
    async def on_call_hold(self, sid: str, body: CallIn) -> dict[str, Any]:
        return await self._call(sid, "hold", body)

    @event(CallIn)
    async def on_call_transfer(self, sid: str, body: CallIn) -> dict[str, Any]:
        return await self._call(sid, "transfer", body)

    @event(CallIn)
    async def on_call_hangup(self, sid: str, body: CallIn) -> dict[str, Any]:
        return await self._call(sid, "hangup", body)

    async def _call(self, sid: str, action: str, body: CallIn) -> dict[str, Any]:
        """The call controls of interface #5 (`ivr.calls`)."""
        me = await self.principal(sid)
        from ivr.line import CALLS  # the 195 line's call controls (ivr.calls)

        calls = self.app.get(CALLS)
        async with self.uow() as uow:
            await console.own_conversation(uow, body.conversation_id, me)  # the caller's, first
        if calls is None:
            raise Conflict("El control de llamadas no está disponible.", code="voice_unavailable")
        # Each control commits its own transactions, none open while the provider works.
        if action == "hold":
            await calls.hold(self.uow, body.conversation_id, me.official_id, body.on)
        elif action == "transfer":
            await calls.transfer(
                self.uow,
                body.conversation_id,
                me.official_id,
                to_official_id=body.to_official_id,
                to_queue_code=body.to_queue_code,
            )
        else:
            await calls.hangup(self.uow, body.conversation_id, me.official_id)
        return {"conversation_id": body.conversation_id, "action": action}


def chat_event(name: str, conversation_id: int, payload: dict[str, Any]) -> Any:
    from contact_center.core.events import Event

    return Event(name, CHAT, conversation_room(conversation_id), payload)


def _who(principal: Principal) -> dict[str, Any]:
    return {"id": principal.official_id, "name": principal.name, "role": principal.role.value}
