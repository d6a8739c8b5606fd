"""The `/chat` namespace: citizens chat without an account.

What a connection is (the conversation it belongs to) lives in the socket.io session and in the
conversation's room, never in this object, so any process can serve any event. After a reload or a
network drop the browser sends `resume` with the conversation token it kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from channels.webchat.abandon import AbandonWatch
from contact_center.chat.services import conversations as chat
from contact_center.chat.services.batch import MessageBatcher
from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION
from contact_center.core.db.models import Conversation, Official, Ticket
from contact_center.core.errors import Conflict
from contact_center.core.events import AGENTS, conversation_room, official_room
from contact_center.core.http.socket_handlers import Empty, EventModel, ValidatingNamespace, event
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services.intake import Intake
from contact_center.pqrd.services.tickets import Actor

log = logging.getLogger(__name__)
ClientId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True)
class ChatDeps:
    """What the namespace needs, given once by the installer; `dispatcher` is looked up per event
    because the router may be installed after the chat."""

    uow: UnitOfWorkFactory
    secret: bytes
    dispatcher: Callable[[], chat.Dispatcher]
    position: Callable[[int], Any]  # async (conversation_id) -> {"position", "eta_seconds"} | None
    filing: Callable[[], chat.FilingDeps]  # what the intake service needs to file a PQRD
    after_filing: Callable[[Intake], Awaitable[None]]  # after commit: send the acknowledgement


class StartIn(EventModel):
    name: str | None = Field(default=None, max_length=120)
    topic: str | None = Field(default=None, max_length=60)
    consent: bool
    notice_version: str = Field(default=PRIVACY_NOTICE_VERSION, max_length=40)


class ResumeIn(EventModel):
    token: str = Field(min_length=3, max_length=200)


class SendIn(EventModel):
    client_id: str = ClientId
    body: str = Field(min_length=1, max_length=chat.MAX_BODY)


class TypingIn(EventModel):
    typing: bool


class LeavePqrdIn(EventModel):
    type: PqrdType = Field(default=PqrdType.PETICION, strict=False)  # the code as a JSON string
    subject: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=3, max_length=20_000)
    email: str | None = Field(default=None, max_length=254)
    notify_by_email: bool = False


class ChatNamespace(ValidatingNamespace):
    def __init__(self, namespace: str, deps: ChatDeps) -> None:
        super().__init__(namespace)
        self.deps = deps
        self.messages = MessageBatcher(deps.uow)  # group commit: see chat_batch
        self.abandon: AbandonWatch | None = None  # set by install_console

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.save_session(sid, {})

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        """The page is gone (closed tab, lost network): a waiting chat may be abandoned (`abandon`)."""
        conversation_id = (await self.get_session(sid)).get("conversation_id")
        if isinstance(conversation_id, int) and self.abandon is not None:
            self.abandon.left(conversation_id)

    async def _conversation_id(self, sid: str) -> int:
        conversation_id = (await self.get_session(sid)).get("conversation_id")
        if not isinstance(conversation_id, int):
            raise Conflict("Primero inicie o retome una conversación.", code="no_conversation")
        return conversation_id

    async def _join(self, sid: str, conversation_id: int) -> None:
        await self.save_session(sid, {"conversation_id": conversation_id})
        await self.enter_room(sid, conversation_room(conversation_id))

    @event(StartIn)
    async def on_start(self, sid: str, body: StartIn) -> dict[str, Any]:
        if (await self.get_session(sid)).get("conversation_id") is not None:
            raise Conflict("Ya tiene una conversación abierta.", code="already_started")
        start = chat.ChatStart(body.name, body.topic, body.consent, body.notice_version)
        async with self.deps.uow() as uow:
            started = await chat.start_chat(uow, start, self.deps.dispatcher(), self.deps.secret)
        await self._join(sid, started.conversation_id)
        out: dict[str, Any] = {
            "conversation_id": started.conversation_id,
            "token": started.token,
            "queue": started.queue_code,
            "state": started.state,
        }
        if started.state == chat.OUT_OF_HOURS:
            # Nobody will answer: say when the queue opens and offer the PQRD (`leave_pqrd`).
            next_open = started.next_open.isoformat() if started.next_open else None
            return {**out, "next_open": next_open, "message": started.notice, "can_leave_pqrd": True}
        return {**out, "position": await self.deps.position(started.conversation_id)}

    @event(ResumeIn)
    async def on_resume(self, sid: str, body: ResumeIn) -> dict[str, Any]:
        async with self.deps.uow() as uow:
            conversation = await chat.conversation_for_token(uow, body.token, self.deps.secret)
            messages = await chat.transcript(uow, conversation.id)
            official = await uow.session.get(Official, conversation.official_id or 0)
            ticket = await uow.session.get(Ticket, conversation.ticket_id or 0)
            official_name = official.name if official else None
            radicado = ticket.radicado if ticket else None
            state, conversation_id = conversation.state, conversation.id
        await self._join(sid, conversation_id)
        position = await self.deps.position(conversation_id) if state in ("queued", "offered") else None
        return {
            "conversation_id": conversation_id,
            "state": state,
            "official_name": official_name,
            "radicado": radicado,
            "messages": messages,
            "position": position,
        }

    @event(SendIn)
    async def on_send(self, sid: str, body: SendIn) -> dict[str, Any]:
        conversation_id = await self._conversation_id(sid)
        payload, created = await self.messages.post(conversation_id, body.body, body.client_id, sid)
        return {"message": payload, "duplicate": not created}

    @event(TypingIn)
    async def on_typing(self, sid: str, body: TypingIn) -> None:
        conversation_id = await self._conversation_id(sid)
        async with self.deps.uow() as uow:
            official_id = await chat.attending_official(uow, conversation_id)
        if official_id is not None:
            payload = {"conversation_id": conversation_id, "sender": "citizen", "typing": body.typing}
            await self.emit("typing", payload, to=official_room(official_id), namespace=AGENTS)

    @event(Empty)
    async def on_end(self, sid: str, body: Empty) -> dict[str, Any]:
        conversation_id = await self._conversation_id(sid)
        async with self.deps.uow() as uow:
            state = await chat.end_chat(uow, conversation_id, self.deps.dispatcher())
        return {"state": state}

    @event(LeavePqrdIn)
    async def on_leave_pqrd(self, sid: str, body: LeavePqrdIn) -> dict[str, Any]:
        conversation_id = await self._conversation_id(sid)
        pqrd = chat.ChatPqrd(
            body.type, body.subject, body.description, email=body.email, notify_by_email=body.notify_by_email
        )
        async with self.deps.uow() as uow:
            conversation = await uow.session.get(Conversation, conversation_id)
            actor = Actor("citizen", conversation.citizen_id if conversation else None)
            result = await chat.file_from_chat(
                uow, conversation_id, pqrd, actor, self.deps.dispatcher(), self.deps.filing()
            )
        await self.deps.after_filing(result)
        filed = result.filed
        return {
            "radicado": filed.radicado,
            "access_code": filed.access_code,
            "due_date": filed.due_date.isoformat(),
        }
