"""The web chat conversation: start, messages, typing, end, resume, and a PQRD left from the chat.

Each operation runs in the caller's unit of work and commits itself, because the citizen is told
("acknowledged") only once the change is stored; the events it queues go out after that commit.
The conversation token that lets a browser resume after a reload is an HMAC of the conversation,
so no server keeps per-client state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contact_center.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from contact_center.domain.events import AGENTS, CHAT, Event, conversation_room, official_room
from contact_center.domain.legal_clock import PqrdType
from contact_center.domain.privacy import PRIVACY_NOTICE_VERSION
from contact_center.persistence.models import (
    Citizen,
    CitizenIdentity,
    Conversation,
    DataConsent,
    Message,
    Official,
    Queue,
    Ticket,
)
from contact_center.services.tickets import Actor, FiledTicket, NewTicket, file_ticket
from contact_center.services.uow import UnitOfWork

CHANNEL = "chat"
MAX_BODY = 4000
DEFAULT_QUEUE = "atencion_general"
# The topics a citizen may pick before chatting; each is the code of the queue that serves it.
TOPICS: dict[str, str] = {
    "atencion_general": "Trámites e información general",
    "transito": "Tránsito, comparendos y licencias",
    "hacienda": "Impuesto predial e industria y comercio",
    "salud": "Salud y SISBEN",
    "educacion": "Educación y matrículas",
    "gobierno": "Gobierno y convivencia",
}
LIVE_STATES = frozenset({"open", "queued", "offered", "active"})
Sender = Literal["citizen", "official", "system"]


class Dispatcher(Protocol):
    """What the chat needs from the router (`routing.service.RouterService` behind an adapter)."""

    async def enqueue_chat(self, uow: UnitOfWork, conversation_id: int, queue_code: str) -> None: ...
    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None: ...


class NoDispatcher:
    """Used until a router is installed: conversations wait in `queued`."""

    async def enqueue_chat(self, uow: UnitOfWork, conversation_id: int, queue_code: str) -> None:
        return None

    async def abandon(self, uow: UnitOfWork, conversation_id: int) -> None:
        return None


@dataclass(frozen=True)
class ChatStart:
    name: str | None
    topic: str | None
    consent: bool
    notice_version: str


@dataclass(frozen=True)
class StartedChat:
    conversation_id: int
    token: str
    queue_code: str


# -- conversation tokens ----------------------------------------------------------------------------


def _signature(conversation_id: int, external_id: str, secret: bytes) -> str:
    mac = hmac.new(secret, f"chat:{conversation_id}:{external_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def conversation_token(conversation: Conversation, secret: bytes) -> str:
    """The token a browser keeps to resume this conversation."""
    return f"{conversation.id}.{_signature(conversation.id, conversation.external_id, secret)}"


async def conversation_for_token(uow: UnitOfWork, token: str, secret: bytes) -> Conversation:
    """The chat conversation a token opens, or 401-style `invalid_chat_token`."""
    head, _, signature = token.partition(".")
    conversation = await uow.session.get(Conversation, int(head)) if head.isdigit() else None
    if conversation is None or conversation.channel != CHANNEL:
        raise Forbidden("La conversación no existe o el enlace no es válido.", code="invalid_chat_token")
    expected = _signature(conversation.id, conversation.external_id, secret)
    if not hmac.compare_digest(expected, signature):
        raise Forbidden("La conversación no existe o el enlace no es válido.", code="invalid_chat_token")
    return conversation


# -- start and end ----------------------------------------------------------------------------------


async def start_chat(uow: UnitOfWork, start: ChatStart, dispatcher: Dispatcher, secret: bytes) -> StartedChat:
    """Open a chat: a citizen with a chat-visitor identity, their consent, a queued conversation."""
    if not start.consent:
        raise InvalidInput(
            "Para chatear debe aceptar el aviso de privacidad (Ley 1581 de 2012).", code="consent_required"
        )
    if start.notice_version != PRIVACY_NOTICE_VERSION:
        raise InvalidInput("El aviso de privacidad cambió; recargue la página.", code="notice_outdated")
    queue_code = start.topic or DEFAULT_QUEUE
    if queue_code not in TOPICS:
        raise InvalidInput(f"Tema desconocido: «{queue_code}».", code="unknown_topic")
    queue = await uow.session.scalar(select(Queue).where(Queue.code == queue_code))
    if queue is None:
        raise NotFound("Ese tema no está disponible en este momento.", code="unknown_topic")
    now = uow.clock.now()
    external_id = uuid.uuid4().hex
    citizen = Citizen(name=(start.name or "").strip() or None, created_at=now)
    uow.session.add(citizen)
    await uow.session.flush()
    uow.session.add_all(
        [
            CitizenIdentity(citizen_id=citizen.id, kind="chat_visitor", value=external_id, created_at=now),
            DataConsent(
                citizen_id=citizen.id, notice_version=start.notice_version, channel=CHANNEL, given_at=now
            ),
        ]
    )
    conversation = Conversation(
        channel=CHANNEL,
        external_id=external_id,
        state="queued",
        citizen_id=citizen.id,
        queue_id=queue.id,
        topic=TOPICS[queue_code],
        started_at=now,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    await dispatcher.enqueue_chat(uow, conversation.id, queue_code)
    await uow.commit()
    return StartedChat(conversation.id, conversation_token(conversation, secret), queue_code)


async def end_chat(uow: UnitOfWork, conversation_id: int, dispatcher: Dispatcher) -> str:
    """The citizen leaves: a waiting chat is abandoned, an attended one goes to wrap-up."""
    conversation = await _locked(uow, conversation_id)
    if conversation.state not in LIVE_STATES:
        return conversation.state
    if conversation.official_id is None:
        await dispatcher.abandon(uow, conversation.id)
        conversation.state = "abandoned"
    else:
        conversation.state = "wrap_up"
    conversation.ended_at = uow.clock.now()
    await _system_message(uow, conversation, "El ciudadano terminó la conversación.")
    _to_both(uow, conversation, "chat.ended", {"conversation_id": conversation.id, "by": "citizen"})
    await uow.commit()
    return conversation.state


async def official_joined(uow: UnitOfWork, conversation_id: int, official_id: int) -> None:
    """After the router's assignment: the conversation is active with this official (idempotent)."""
    conversation = await _locked(uow, conversation_id)
    if conversation.official_id == official_id and conversation.state == "active":
        return
    official = await uow.session.get(Official, official_id)
    assert official is not None
    conversation.official_id = official_id
    conversation.state = "active"
    conversation.answered_at = conversation.answered_at or uow.clock.now()
    await _system_message(uow, conversation, f"{official.name} se unió a la conversación.")
    payload = {"conversation_id": conversation.id, "official_name": official.name}
    uow.emit(Event("chat.joined", CHAT, conversation_room(conversation.id), payload))
    await uow.commit()


# -- messages ---------------------------------------------------------------------------------------


def message_payload(message: Message, author: str | None = None) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "client_id": message.client_id,
        "sender": message.sender,
        "author": author,
        "body": message.body,
        "internal": message.internal,
        "created_at": message.created_at.isoformat(),
    }


async def post_message(
    uow: UnitOfWork,
    conversation_id: int,
    sender: Sender,
    body: str,
    client_id: str,
    *,
    official: Official | None = None,
    internal: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Store a message (once per client id) and commit; returns its payload and whether it is new."""
    text = body.strip()
    if not text:
        raise InvalidInput("El mensaje está vacío.", code="empty_message")
    if len(text) > MAX_BODY:
        raise InvalidInput(f"El mensaje admite {MAX_BODY} caracteres.", code="message_too_long")
    existing = await _by_client_id(uow, conversation_id, client_id)
    if existing is not None:
        return message_payload(existing, official.name if official else None), False
    conversation = await uow.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("La conversación no existe.", code="conversation_not_found")
    if conversation.state not in LIVE_STATES:
        raise Conflict("La conversación ya terminó.", code="conversation_closed")
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        official_id=official.id if official else None,
        body=text,
        internal=internal,
        client_id=client_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(message)
    try:
        await uow.session.flush()
    except IntegrityError:
        # The same client id raced in on another connection or process: that one won.
        await uow.session.rollback()
        again = await _by_client_id(uow, conversation_id, client_id)
        assert again is not None
        return message_payload(again, official.name if official else None), False
    payload = message_payload(message, official.name if official else None)
    if internal:
        if conversation.official_id is not None:
            uow.emit(Event("message", AGENTS, official_room(conversation.official_id), payload))
    else:
        _to_both(uow, conversation, "message", payload)
    await uow.commit()
    return payload, True


async def _by_client_id(uow: UnitOfWork, conversation_id: int, client_id: str) -> Message | None:
    return await uow.session.scalar(
        select(Message).where(Message.conversation_id == conversation_id, Message.client_id == client_id)
    )


async def _system_message(uow: UnitOfWork, conversation: Conversation, text: str) -> None:
    message = Message(
        conversation_id=conversation.id,
        sender="system",
        body=text,
        internal=False,
        client_id=f"sys-{uuid.uuid4().hex}",
        created_at=uow.clock.now(),
    )
    uow.session.add(message)
    await uow.session.flush()
    _to_both(uow, conversation, "message", message_payload(message))


def _to_both(uow: UnitOfWork, conversation: Conversation, name: str, payload: dict[str, Any]) -> None:
    """Queue an event for the citizen's room and, when attended, the official's room."""
    uow.emit(Event(name, CHAT, conversation_room(conversation.id), payload))
    if conversation.official_id is not None:
        uow.emit(Event(name, AGENTS, official_room(conversation.official_id), payload))


async def transcript(
    uow: UnitOfWork, conversation_id: int, *, internal: bool = False
) -> list[dict[str, Any]]:
    """Every message of the conversation, oldest first; internal notes only when asked."""
    query = (
        select(Message, Official.name)
        .outerjoin(Official, Official.id == Message.official_id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id)
    )
    if not internal:
        query = query.where(Message.internal.is_(False))
    rows = (await uow.session.execute(query)).all()
    return [message_payload(message, name) for message, name in rows]


async def _locked(uow: UnitOfWork, conversation_id: int) -> Conversation:
    conversation = await uow.session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        raise NotFound("La conversación no existe.", code="conversation_not_found")
    return conversation


# -- a PQRD from the chat ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatPqrd:
    pqrd_type: PqrdType
    subject: str
    description: str
    dependencia_code: str | None = None


async def file_from_chat(
    uow: UnitOfWork, conversation_id: int, pqrd: ChatPqrd, actor: Actor, dispatcher: Dispatcher, secret: bytes
) -> FiledTicket:
    """File a PQRD (channel "chat") linked to the conversation; the radicado goes into the chat.

    Left by the citizen when nobody is available (the waiting chat then ends), or converted by the
    attending official (the chat goes on). The access code is sent to the citizen's room only.
    """
    conversation = await _locked(uow, conversation_id)
    if conversation.ticket_id is not None:
        ticket = await uow.session.get(Ticket, conversation.ticket_id)
        assert ticket is not None
        raise Conflict(f"Esta conversación ya tiene el radicado {ticket.radicado}.", code="already_filed")
    new = NewTicket(
        pqrd_type=pqrd.pqrd_type,
        subject=pqrd.subject,
        description=pqrd.description,
        channel=CHANNEL,
        dependencia_code=pqrd.dependencia_code,
        citizen_id=conversation.citizen_id,
        conversation_id=conversation.id,
    )
    filed = await file_ticket(uow, new, actor, secret=secret)
    due = filed.due_date.strftime("%d/%m/%Y")
    await _system_message(
        uow,
        conversation,
        f"Su solicitud quedó radicada con el número {filed.radicado}. Respuesta a más tardar el {due}.",
    )
    if actor.kind == "citizen" and conversation.official_id is None and conversation.state in LIVE_STATES:
        await dispatcher.abandon(uow, conversation.id)
        conversation.state = "closed"
        conversation.ended_at = uow.clock.now()
    payload = {
        "conversation_id": conversation.id,
        "radicado": filed.radicado,
        "access_code": filed.access_code,
        "due_date": filed.due_date.isoformat(),
    }
    uow.emit(Event("chat.pqrd", CHAT, conversation_room(conversation.id), payload))
    if conversation.official_id is not None:
        agent_payload = {k: v for k, v in payload.items() if k != "access_code"}
        uow.emit(Event("chat.pqrd", AGENTS, official_room(conversation.official_id), agent_payload))
    await uow.commit()
    return filed
