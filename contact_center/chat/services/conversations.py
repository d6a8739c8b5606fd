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
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from contact_center.chat import domain, queries
from contact_center.chat.domain import LIVE_STATES, NewMessage, Sender
from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION
from contact_center.citizens.services.identities import CitizenDetails, attach_claims
from contact_center.core.db.models import (
    Citizen,
    CitizenIdentity,
    Conversation,
    DataConsent,
    Message,
    Official,
    Queue,
    Ticket,
)
from contact_center.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contact_center.core.events import AGENTS, CHAT, Event, conversation_room, official_room
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.domain.legal_clock import PqrdType
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services import intake
from contact_center.pqrd.services.attachments import AttachmentStore
from contact_center.pqrd.services.tickets import Actor, FiledTicket
from routing import queue_hours
from routing.hours import Opening

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
# Started while the topic's queue was closed: nobody will answer, the citizen may leave a PQRD.
OUT_OF_HOURS = "out_of_hours"
_CLOSABLE = LIVE_STATES | {OUT_OF_HOURS}  # a PQRD left by the citizen ends these


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
    state: str = "queued"
    next_open: datetime | None = None  # when out of hours: the queue's next opening
    notice: str | None = None  # when out of hours: what the citizen reads


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
    opening = await queue_hours.opening_now(uow, queue_hours.hours_of(queue))
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
        state="queued" if opening.open else OUT_OF_HOURS,
        citizen_id=citizen.id,
        queue_id=queue.id,
        topic=TOPICS[queue_code],
        started_at=now,
    )
    uow.session.add(conversation)
    await uow.session.flush()
    token = conversation_token(conversation, secret)
    if not opening.open:
        notice = out_of_hours_notice(queue.name, opening, uow)
        await _system_message(uow, conversation, notice)
        await uow.commit()
        return StartedChat(conversation.id, token, queue_code, OUT_OF_HOURS, opening.next_open, notice)
    await dispatcher.enqueue_chat(uow, conversation.id, queue_code)
    await uow.commit()
    return StartedChat(conversation.id, token, queue_code)


def out_of_hours_notice(queue_name: str, opening: Opening, uow: UnitOfWork) -> str:
    closed = queue_hours.closed_message(queue_name, opening, uow)
    return f"{closed} Puede dejarnos su petición, queja, reclamo o denuncia aquí y le daremos un radicado."


async def end_chat(uow: UnitOfWork, conversation_id: int, dispatcher: Dispatcher) -> str:
    """The citizen leaves: a waiting chat is abandoned, an attended one goes to wrap-up."""
    conversation = await _locked(uow, conversation_id)
    if conversation.state not in _CLOSABLE:
        return conversation.state
    if conversation.state == OUT_OF_HOURS:  # nothing was queued: there is nothing to abandon
        conversation.state = "closed"
    elif conversation.official_id is None:
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
    return domain.message_payload(
        message.id,
        message.conversation_id,
        message.client_id,
        message.sender,
        author,
        message.body,
        message.internal,
        message.created_at,
    )


async def post_message(
    uow: UnitOfWork,
    conversation_id: int,
    sender: Sender,
    body: str,
    client_id: str,
    *,
    official: Official | None = None,
    internal: bool = False,
    skip_sid: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store a message (once per client id) and commit; returns its payload and whether it is new.

    The hot path of the chat: one short transaction with one statement on PostgreSQL (two on
    SQLite), no ORM load of the conversation, no router notice (a message changes no routing state).
    """
    author = official.name if official else None
    message = NewMessage(
        conversation_id,
        sender,
        checked_body(body),
        client_id,
        uow.clock.now(),
        official_id=official.id if official else None,
        internal=internal,
    )
    found = await queries.insert_message(uow, message)
    if found.message_id is None:
        # Not inserted: the client id was stored already (a retry), or the conversation is not live.
        existing = await _by_client_id(uow, conversation_id, client_id)
        if existing is not None:
            return message_payload(existing, author), False
        if found.state is None:
            raise NotFound("La conversación no existe.", code="conversation_not_found")
        raise Conflict("La conversación ya terminó.", code="conversation_closed")
    payload = message.payload(found.message_id, author)
    announce_message(uow, payload, found.official_id, skip_sid)
    await uow.commit()
    return payload, True


def checked_body(body: str) -> str:
    """The message text as stored, or `InvalidInput` (empty, too long)."""
    text = body.strip()
    if not text:
        raise InvalidInput("El mensaje está vacío.", code="empty_message")
    if len(text) > MAX_BODY:
        raise InvalidInput(f"El mensaje admite {MAX_BODY} caracteres.", code="message_too_long")
    return text


def message_events(
    payload: dict[str, Any], official_id: int | None, skip_sid: str | None = None
) -> list[Event]:
    """A stored message for the conversation's room (unless internal) and its official. The
    sender's own connection (`skip_sid`) has it in its ack already; the citizen's other tabs
    still get it."""
    events = []
    if not payload["internal"]:
        room = conversation_room(payload["conversation_id"])
        events.append(Event("message", CHAT, room, payload, skip_sid=skip_sid))
    if official_id is not None:
        events.append(Event("message", AGENTS, official_room(official_id), payload))
    return events


def announce_message(
    uow: UnitOfWork, payload: dict[str, Any], official_id: int | None, skip_sid: str | None = None
) -> None:
    """Queue the message's events (`message_events`) for after the commit."""
    for ev in message_events(payload, official_id, skip_sid):
        uow.emit(ev)


async def attending_official(uow: UnitOfWork, conversation_id: int) -> int | None:
    """The official attending the conversation, if any (one indexed read, no ORM load)."""
    return await uow.session.scalar(
        select(Conversation.official_id).where(Conversation.id == conversation_id)
    )


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
    """A PQRD as given in the chat; `email` with `notify_by_email` asks for the acuse by e-mail."""

    pqrd_type: PqrdType
    subject: str
    description: str
    dependencia_code: str | None = None
    email: str | None = None
    notify_by_email: bool = False


@dataclass(frozen=True)
class FilingDeps:
    """What the intake service needs to file (signing key, attachment store, public base URL)."""

    secret: bytes
    store: AttachmentStore
    base_url: str


async def file_from_chat(
    uow: UnitOfWork,
    conversation_id: int,
    pqrd: ChatPqrd,
    actor: Actor,
    dispatcher: Dispatcher,
    deps: FilingDeps,
) -> intake.Intake:
    """File a PQRD (channel "chat") through the intake service, linked to the conversation and to the
    chat's citizen; the radicado goes into the chat. Commits; then call `intake.after_commit`.

    Left by the citizen when nobody is available (the waiting chat then ends), or converted by the
    attending official (the chat goes on, and the PQRD is assigned to that official and in process).
    The access code is sent to the citizen's room only.
    """
    conversation = await _locked(uow, conversation_id)
    if conversation.ticket_id is not None:
        ticket = await uow.session.get(Ticket, conversation.ticket_id)
        assert ticket is not None
        raise Conflict(f"Esta conversación ya tiene el radicado {ticket.radicado}.", code="already_filed")
    filing = await _chat_filing(uow, conversation, pqrd)
    result = await intake.file_pqrd(uow, filing, secret=deps.secret, store=deps.store, base_url=deps.base_url)
    filed = result.filed
    if actor.kind == "official" and actor.id is not None:
        await _take_on(uow, filed.id, actor)
    due = filed.due_date.strftime("%d/%m/%Y")
    await _system_message(
        uow,
        conversation,
        f"Su solicitud quedó radicada con el número {filed.radicado}. Respuesta a más tardar el {due}.",
    )
    if actor.kind == "citizen" and conversation.official_id is None and conversation.state in _CLOSABLE:
        await dispatcher.abandon(uow, conversation.id)
        conversation.state = "closed"
        conversation.ended_at = uow.clock.now()
    _announce_pqrd(uow, conversation, filed)
    await uow.commit()
    return result


async def _chat_filing(uow: UnitOfWork, conversation: Conversation, pqrd: ChatPqrd) -> intake.CheckedFiling:
    """The intake filing of a chat PQRD: the chat's citizen (consent given when the chat started),
    with the e-mail they typed recorded as an unverified claim where nobody holds it yet."""
    citizen = await uow.session.get(Citizen, conversation.citizen_id) if conversation.citizen_id else None
    details = CitizenDetails(name=citizen.name if citizen else None, email=pqrd.email or None)
    filing = intake.Filing(
        pqrd_type=pqrd.pqrd_type,
        subject=pqrd.subject,
        description=pqrd.description,
        channel=CHANNEL,
        citizen=details if citizen is not None or pqrd.email else None,
        anonymous=citizen is None and not pqrd.email,
        data_consent=True,  # start_chat refuses a chat without consent to the privacy notice
        notify_by_email=pqrd.notify_by_email,
        dependencia_code=pqrd.dependencia_code,
        conversation_id=conversation.id,
        known_citizen_id=citizen.id if citizen is not None else None,
    )
    checked = intake.check_filing(filing)  # bad input changes nothing, not even the e-mail claim
    if citizen is not None and pqrd.email:
        await attach_claims(uow, citizen, details)
    return checked


async def _take_on(uow: UnitOfWork, ticket_id: int, official: Actor) -> None:
    """The official who converted the chat keeps the PQRD: assigned to them and in process."""
    assert official.id is not None
    ticket = await uow.session.get(Ticket, ticket_id)
    assert ticket is not None
    await ticket_actions.assign(uow, ticket, official.id, official, reason="Radicada desde el chat")
    await ticket_actions.start_work(uow, ticket, official)


def _announce_pqrd(uow: UnitOfWork, conversation: Conversation, filed: FiledTicket) -> None:
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
