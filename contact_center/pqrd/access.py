"""Object-level authorization: the one place that says which ticket, conversation, work item,
attachment, citizen and official a caller may reach.

Every HTTP route and socket.io event that names one of these objects resolves it here, for the
caller, and gets either the object or a 404 `not_found` — the same answer as for an object that does
not exist, so ids cannot be probed. The rules (docs/authorization.md):

- tickets: an administrator sees all; agents and supervisors those of their dependencia and those
  assigned to them; an app citizen their own (and those of records merged into theirs); an anonymous
  caller one ticket, with its radicado and access code;
- attachments: those of a ticket the caller may see;
- conversations: the official attending it; a supervisor those of their dependencia's queues or
  officials; an administrator all;
- work items: the official holding it; a supervisor those of their dependencia's queues or
  officials; an administrator all;
- officials: an agent only themselves; supervisors and administrators all (acting on one of another
  dependencia is 403 `other_dependencia` for a supervisor);
- citizens: supervisors and administrators (an app citizen: their own record).

A reserved identity (anonymous PQRD) is shown only to supervisors and administrators: `reserved`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from contact_center.citizens.services.accounts import CitizenPrincipal
from contact_center.citizens.services.identities import citizen_ids
from contact_center.core.auth import Principal
from contact_center.core.db.models import Attachment, Citizen, Conversation, Official, Queue, Ticket
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.errors import Forbidden, NotFound
from contact_center.core.officials import Role, role_allows
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.services.tickets import access_code_matches

Caller = Principal | CitizenPrincipal | None
"""An official, an app citizen, or nobody (a caller with no account)."""
MAX_ID = 2**31 - 1  # row ids are 32-bit on PostgreSQL: a larger one names nothing

_MESSAGES = {
    "ticket": "No encontramos ese radicado.",
    "attachment": "No encontramos ese archivo en el radicado.",
    "conversation": "No encontramos esa conversación.",
    "work_item": "No encontramos ese trabajo.",
    "offer": "No encontramos esa oferta.",
    "official": "No encontramos ese funcionario.",
    "citizen": "No encontramos ese ciudadano.",
}


def hidden(kind: str) -> NotFound:
    """The one answer for an object that does not exist or that the caller may not see."""
    return NotFound(_MESSAGES[kind], code="not_found", kind=kind)


def _valid(object_id: int | None) -> bool:
    return object_id is not None and 1 <= object_id <= MAX_ID


def is_admin(caller: Caller) -> bool:
    return isinstance(caller, Principal) and caller.role is Role.ADMIN


def is_supervisor(caller: Caller) -> bool:
    return isinstance(caller, Principal) and role_allows(caller.role, Role.SUPERVISOR)


def reserved(ticket: Ticket, caller: Caller) -> bool:
    """True when the ticket's filer must stay hidden from this caller (anonymous PQRD)."""
    return ticket.anonymous and not is_supervisor(caller)


# -- tickets and attachments ------------------------------------------------------------------------


async def ticket_filter(uow: UnitOfWork, caller: Caller) -> ColumnElement[bool]:
    """The tickets this caller may see, as a WHERE clause (for lists and single lookups alike)."""
    if isinstance(caller, CitizenPrincipal):
        return Ticket.citizen_id.in_(await citizen_ids(uow, caller.citizen_id))
    if caller is None:
        return false()
    if caller.role is Role.ADMIN:
        return true()
    mine = Ticket.assignee_id == caller.official_id
    if caller.dependencia_id is None:
        return mine
    return or_(Ticket.dependencia_id == caller.dependencia_id, mine)


async def ticket(
    uow: UnitOfWork,
    caller: Caller,
    *,
    ticket_id: int | None = None,
    radicado: str | None = None,
    lock: bool = False,
) -> Ticket:
    """The ticket named by id or radicado, if the caller may see it; 404 `not_found` otherwise."""
    if radicado is not None:
        where: ColumnElement[bool] = Ticket.radicado == radicado.strip()[:20]
    elif _valid(ticket_id):
        where = Ticket.id == ticket_id
    else:
        raise hidden("ticket")
    query = select(Ticket).where(where, await ticket_filter(uow, caller))
    found = (await uow.session.scalars(query.with_for_update() if lock else query)).first()
    if found is None:
        raise hidden("ticket")
    return found


async def ticket_by_code(uow: UnitOfWork, radicado: str, code: str, secret: bytes) -> Ticket:
    """The ticket an anonymous caller opens with its radicado and access code (portal, API)."""
    query = select(Ticket).where(Ticket.radicado == radicado.strip()[:20])
    found = (await uow.session.scalars(query)).first()
    if found is None or not access_code_matches(found, code, secret):
        raise hidden("ticket")
    return found


async def attachment(uow: UnitOfWork, of_ticket: Ticket, raw_id: str | int) -> Attachment:
    """A file of a ticket the caller already resolved through `ticket` (or its access code)."""
    attachment_id = int(raw_id) if str(raw_id).isdigit() and len(str(raw_id)) < 12 else None
    found = await uow.session.get(Attachment, attachment_id) if _valid(attachment_id) else None
    if found is None or found.ticket_id != of_ticket.id:
        raise hidden("attachment")
    return found


# -- live work ---------------------------------------------------------------------------------------


async def _in_dependencia(
    uow: UnitOfWork, caller: Principal, queue_id: int | None, official_id: int | None
) -> bool:
    """Whether the queue or the official belongs to the supervisor's dependencia."""
    if caller.dependencia_id is None:
        return False
    if queue_id is not None:
        queue = await uow.session.get(Queue, queue_id)
        if queue is not None and queue.dependencia_id == caller.dependencia_id:
            return True
    if official_id is not None:
        official = await uow.session.get(Official, official_id)
        return official is not None and official.dependencia_id == caller.dependencia_id
    return False


async def _may_see_work(
    uow: UnitOfWork, caller: Caller, queue_id: int | None, official_id: int | None
) -> bool:
    if not isinstance(caller, Principal):
        return False
    if official_id == caller.official_id or caller.role is Role.ADMIN:
        return True
    return is_supervisor(caller) and await _in_dependencia(uow, caller, queue_id, official_id)


async def conversation(uow: UnitOfWork, caller: Caller, conversation_id: int) -> Conversation:
    """The conversation, if the caller attends it (or supervises its queue or its official)."""
    found = await uow.session.get(Conversation, conversation_id) if _valid(conversation_id) else None
    if found is None or not await _may_see_work(uow, caller, found.queue_id, found.official_id):
        raise hidden("conversation")
    return found


async def work_item(uow: UnitOfWork, caller: Caller, work_item_id: int) -> WorkItem:
    """The work item, if the caller holds it (or supervises its queue or its holder)."""
    found = await uow.session.get(WorkItem, work_item_id) if _valid(work_item_id) else None
    if found is None or not await _may_see_work(uow, caller, found.queue_id, found.official_id):
        raise hidden("work_item")
    return found


async def offer(uow: UnitOfWork, caller: Caller, offer_id: int) -> RoutingOffer:
    """An offer made to the caller (nobody else may accept or reject it)."""
    found = await uow.session.get(RoutingOffer, offer_id) if _valid(offer_id) else None
    if found is None or not isinstance(caller, Principal) or found.official_id != caller.official_id:
        raise hidden("offer")
    return found


# -- people -----------------------------------------------------------------------------------------


async def official(uow: UnitOfWork, caller: Caller, official_id: int) -> Official:
    """The official, if the caller may see them: themselves, or anyone for supervisors and admins."""
    found = await uow.session.get(Official, official_id) if _valid(official_id) else None
    visible = isinstance(caller, Principal) and (is_supervisor(caller) or official_id == caller.official_id)
    if found is None or not visible:
        raise hidden("official")
    return found


def may_manage(caller: Principal, dependencia_id: int | None) -> None:
    """A supervisor changes only what belongs to their own dependencia (administrators: anything)."""
    if caller.role is not Role.ADMIN and dependencia_id != caller.dependencia_id:
        raise Forbidden("Solo puede actuar sobre su propia dependencia.", code="other_dependencia")


async def citizen(uow: UnitOfWork, caller: Caller, citizen_id: int) -> Citizen:
    """The citizen record, for supervisors and administrators (an app citizen: their own)."""
    found = await uow.session.get(Citizen, citizen_id) if _valid(citizen_id) else None
    if isinstance(caller, CitizenPrincipal):
        visible = citizen_id in await citizen_ids(uow, caller.citizen_id)
    else:
        visible = is_supervisor(caller)
    if found is None or not visible:
        raise hidden("citizen")
    return found


def redacted_actor(kind: str, actor_id: int | None, of_ticket: Ticket, caller: Caller) -> int | None:
    """An event's actor id as this caller may see it: the filer of an anonymous PQRD stays hidden."""
    return None if kind == "citizen" and reserved(of_ticket, caller) else actor_id
