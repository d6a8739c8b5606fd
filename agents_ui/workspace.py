"""What the officials' workspace (the Vue console) reads: the work an official holds right now, the
people and queues a chat can be handed to, the inbox views of PQRDs, and detaching a transferred chat.

The server is the source of truth for what an official holds: a reloaded page or a second tab asks
here and reopens every conversation, so no chat is orphaned while it keeps the official's capacity.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func, or_, select

from agents_ui import supervision
from contact_center.chat.services import console
from contact_center.core.auth import Principal
from contact_center.core.db.models import (
    Citizen,
    CitizenIdentity,
    Conversation,
    Message,
    Official,
    Queue,
    Ticket,
)
from contact_center.core.db.routing_models import WorkItem
from contact_center.core.events import AGENTS, CHAT, Event, conversation_room, official_room
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd import access
from contact_center.pqrd.domain.tickets import OPEN_STATUSES, TicketStatus
from contact_center.pqrd.services import tickets

View = Literal["mine", "unassigned", "waiting", "due"]
VIEWS: tuple[View, ...] = ("mine", "unassigned", "waiting", "due")
HELD_STATES = ("active", "wrap_up")
PRESENCE_LABELS = {"available": "Disponible", "away": "Ausente", "offline": "Desconectado", "busy": "Ocupado"}
SCAN_LIMIT = 500


async def held_work(uow: UnitOfWork, official_id: int) -> list[dict[str, Any]]:
    """The live conversations this official attends, with the router's work item of each."""
    rows = (
        await uow.session.execute(
            select(Conversation, WorkItem.id)
            .outerjoin(
                WorkItem,
                (WorkItem.conversation_id == Conversation.id)
                & (WorkItem.official_id == official_id)
                & (WorkItem.status == "assigned"),
            )
            .where(Conversation.official_id == official_id, Conversation.state.in_(HELD_STATES))
            .order_by(Conversation.id)
        )
    ).all()
    return [
        {
            "conversation_id": c.id,
            "work_item_id": work_item_id,
            "channel": c.channel,
            "state": c.state,
            "topic": c.topic,
        }
        for c, work_item_id in rows
    ]


async def directory(uow: UnitOfWork, me: Principal) -> dict[str, Any]:
    """Queues by name and the other active officials with presence and free chat places."""
    queues = (await uow.session.scalars(select(Queue).order_by(Queue.name))).all()
    people = await supervision.officials(uow, uow.clock.now())
    officials = []
    for o in people:
        if o["id"] == me.official_id:
            continue
        capacity = int(o["capacity"].get("chat", 0))
        officials.append(
            {
                "id": o["id"],
                "name": o["name"],
                "presence": o["presence"],
                "presence_label": PRESENCE_LABELS.get(o["presence"], o["presence"]),
                "free_chat": max(0, capacity - o["load"]["conversations"]),
                "capacity_chat": capacity,
            }
        )
    return {"queues": [{"code": q.code, "name": q.name} for q in queues], "officials": officials}


async def detach_transferred(uow: UnitOfWork, conversation_id: int, target: str) -> None:
    """After a transfer the first official lets go: no more messages reach them, they cannot write,
    and the citizen is told who takes over (the transcript stays with the conversation)."""
    conversation = await uow.session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        return
    previous = conversation.official_id
    conversation.official_id = None
    conversation.state = "queued"
    text = f"Su conversación fue transferida a {target}. En un momento le atenderán."
    message = Message(
        conversation_id=conversation.id,
        sender="system",
        body=text,
        internal=False,
        client_id=f"sys-transfer-{conversation.id}-{int(uow.clock.now().timestamp() * 1000)}",
        created_at=uow.clock.now(),
    )
    uow.session.add(message)
    await uow.session.flush()
    from contact_center.chat.services.conversations import message_payload

    payload = message_payload(message)
    uow.emit(Event("message", CHAT, conversation_room(conversation.id), payload))
    transferred = {"conversation_id": conversation.id, "to": target}
    uow.emit(Event("chat.transferred", CHAT, conversation_room(conversation.id), transferred))
    if previous is not None:
        uow.emit(Event("chat.transferred", AGENTS, official_room(previous), transferred))


async def target_label(uow: UnitOfWork, to_official_id: int | None, to_queue_code: str | None) -> str:
    if to_official_id is not None:
        name = await uow.session.scalar(select(Official.name).where(Official.id == to_official_id))
        return str(name or "otro funcionario")
    name = await uow.session.scalar(select(Queue.name).where(Queue.code == to_queue_code))
    return f"la cola {name or to_queue_code}"


def _search(q: str) -> Any:
    like = f"%{q.strip().lower()}%"
    by_person = select(CitizenIdentity.citizen_id).where(func.lower(CitizenIdentity.value).like(like))
    by_name = select(Citizen.id).where(func.lower(Citizen.name).like(like))
    return or_(
        Ticket.radicado.like(like),
        func.lower(Ticket.subject).like(like),
        func.lower(Ticket.description).like(like),
        Ticket.citizen_id.in_(by_person),
        Ticket.citizen_id.in_(by_name),
    )


def _in_view(view: View, row: dict[str, Any], ticket: Ticket, me: int) -> bool:
    if view == "mine":
        return ticket.assignee_id == me
    if view == "unassigned":
        return ticket.assignee_id is None
    if view == "waiting":
        return ticket.status == TicketStatus.SUSPENDIDO.value and ticket.assignee_id in (me, None)
    return row["urgency"] in ("overdue", "today", "soon")


async def inbox(
    uow: UnitOfWork, me: Principal, view: View, q: str | None, filters: dict[str, str | None]
) -> dict[str, Any]:
    """One inbox list with the counts of every view (after the search and filters)."""
    scope = await access.ticket_filter(uow, me)  # the one scoped lookup: the same tickets as everywhere
    query = select(Ticket).where(scope, Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    if q:
        query = query.where(_search(q))
    for column, value in (("channel", filters.get("channel")), ("pqrd_type", filters.get("type"))):
        if value:
            query = query.where(getattr(Ticket, column) == value)
    if filters.get("status"):
        query = query.where(Ticket.status == filters["status"])
    rows = (await uow.session.scalars(query.order_by(Ticket.due_date, Ticket.id).limit(SCAN_LIMIT))).all()
    clock = await tickets.load_clock(uow)
    now = uow.clock.now()
    summaries = [(console.ticket_summary(t, console.days_left(clock, t, now)), t) for t in rows]
    counts = {v: sum(1 for s, t in summaries if _in_view(v, s, t, me.official_id)) for v in VIEWS}
    listed = [
        s | {"assignee_id": t.assignee_id, "dependencia_id": t.dependencia_id}
        for s, t in summaries
        if _in_view(view, s, t, me.official_id)
    ]
    return {"view": view, "counts": counts, "tickets": listed[:200]}


async def identities(uow: UnitOfWork, citizen: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The citizen's identities on every channel (of the surviving record and those merged into it)."""
    if citizen is None:
        return []
    rows = (
        await uow.session.scalars(
            select(CitizenIdentity)
            .where(CitizenIdentity.citizen_id.in_(citizen["record_ids"]))
            .order_by(CitizenIdentity.kind)
        )
    ).all()
    return [{"kind": r.kind, "value": r.value, "verified": r.verified} for r in rows]
