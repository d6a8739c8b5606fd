"""Officials join two records of one person: the duplicate points at the surviving record.

Nothing moves: the duplicate's identities, PQRDs and conversations stay where they are, and every
reader that shows a citizen's history follows `citizens.merged_into_id` (the app's "my cases",
the agent console's history, the matching of new filings). So a merge is one pointer and one row
of `citizen_merges`, the append-only record of who merged what, when and why.

Rules (a refusal changes nothing):
- a record cannot be merged into itself (400 `merge_into_self`);
- both records must exist (404 `citizen_not_found`, `merge_target_not_found`);
- the record being merged must be a survivor itself (409 `citizen_already_merged`, naming the
  record it already belongs to);
- a target that was itself merged is followed to its survivor, and the merge points there: both
  are already known to be the same person (the answer's `into` says which record it was);
- a target whose survivor is the record being merged would close a cycle (409 `merge_cycle`);
- a target whose chain of merges is already broken (a loop or too long, from a hand edit) is
  refused (409 `merge_chain_broken`), and so is a merge that would make a chain longer than
  `MAX_CHAIN` (409 `merge_chain_too_long`), since readers follow at most that many links.

Merges are serialised (an advisory lock on PostgreSQL; SQLite runs one writer at a time), so two
concurrent merges can never close a cycle between them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from contact_center.citizens.models.merges import CitizenMerge
from contact_center.citizens.queries import lock_merges
from contact_center.citizens.services.identities import MERGE_DEPTH, citizen_ids
from contact_center.core.db.models import Citizen
from contact_center.core.errors import Conflict, InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork

log = logging.getLogger(__name__)
MAX_CHAIN = MERGE_DEPTH  # readers follow at most this many links
MAX_REASON = 2000
Via = Literal["api", "cli"]


@dataclass(frozen=True, slots=True)
class MergeRequest:
    citizen_id: int
    into_id: int
    reason: str
    official_id: int | None  # None: an operator at the CLI who named no official
    via: Via


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: int
    citizen_id: int
    into_id: int  # the survivor the record now points at
    requested_into_id: int
    official_id: int | None
    reason: str
    merged_at: datetime
    citizen_ids: list[int]  # every record whose history the survivor now shows


async def merge_citizens(uow: UnitOfWork, request: MergeRequest) -> MergeResult:
    """Point `citizen_id` at the survivor of `into_id` and record it. The caller commits."""
    reason = request.reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            f"Indique el motivo de la unión (hasta {MAX_REASON} caracteres).", code="reason_required"
        )
    if request.citizen_id == request.into_id:
        raise InvalidInput("No se puede unir un ciudadano consigo mismo.", code="merge_into_self")
    await _serialise(uow)
    source = await _citizen(uow, request.citizen_id)
    if source is None:
        raise NotFound(f"No existe el ciudadano {request.citizen_id}.", code="citizen_not_found")
    if await _citizen(uow, request.into_id) is None:
        raise NotFound(
            f"No existe el ciudadano {request.into_id} (destino de la unión).", code="merge_target_not_found"
        )
    if source.merged_into_id is not None:
        held_by = await survivor(uow, source.id)
        raise Conflict(
            f"El ciudadano {source.id} ya está unido al ciudadano {held_by}; "
            "una el registro sobreviviente si hace falta.",
            code="citizen_already_merged",
            into=held_by,
        )
    into_id, depth = await _chain(uow, request.into_id, request.citizen_id)
    if depth + 1 + await _height(uow, source.id) > MAX_CHAIN:
        raise Conflict(
            f"La unión dejaría una cadena de más de {MAX_CHAIN} registros unidos.",
            code="merge_chain_too_long",
        )
    source.merged_into_id = into_id
    record = CitizenMerge(
        citizen_id=source.id,
        into_id=into_id,
        requested_into_id=request.into_id,
        at=uow.clock.now(),
        actor_kind="official" if request.official_id is not None else "system",
        actor_id=request.official_id,
        via=request.via,
        reason=reason,
    )
    uow.session.add(record)
    await uow.session.flush()
    log.info(
        "citizens_merged",
        extra={"citizen_id": source.id, "into_id": into_id, "official_id": request.official_id},
    )
    return MergeResult(
        merge_id=record.id,
        citizen_id=source.id,
        into_id=into_id,
        requested_into_id=request.into_id,
        official_id=request.official_id,
        reason=reason,
        merged_at=record.at,
        citizen_ids=await citizen_ids(uow, into_id),
    )


async def _serialise(uow: UnitOfWork) -> None:
    await lock_merges(uow)


async def _citizen(uow: UnitOfWork, citizen_id: int) -> Citizen | None:
    # Read again under the lock: a merge committed while we waited must be seen.
    query = select(Citizen).where(Citizen.id == citizen_id).execution_options(populate_existing=True)
    found: Citizen | None = await uow.session.scalar(query)
    return found


async def _pointer(uow: UnitOfWork, citizen_id: int) -> int | None:
    merged: int | None = await uow.session.scalar(
        select(Citizen.merged_into_id).where(Citizen.id == citizen_id)
    )
    return merged


async def _chain(uow: UnitOfWork, start: int, source: int) -> tuple[int, int]:
    """The survivor reached from `start` and how many links lead there."""
    seen = [start]
    current = start
    while (following := await _pointer(uow, current)) is not None:
        if following == source:
            raise Conflict(
                f"El ciudadano {start} ya está unido al ciudadano {source}: la unión formaría un ciclo.",
                code="merge_cycle",
            )
        if following in seen or len(seen) > MAX_CHAIN:
            raise Conflict(
                f"La cadena de uniones del ciudadano {start} no es válida (ciclo o demasiado larga); "
                "corríjala antes de unir.",
                code="merge_chain_broken",
            )
        seen.append(following)
        current = following
    return current, len(seen) - 1


async def survivor(uow: UnitOfWork, citizen_id: int) -> int:
    """The record this one was merged into, following merges (itself when it was never merged)."""
    seen = {citizen_id}
    current = citizen_id
    while (following := await _pointer(uow, current)) is not None and following not in seen:
        if len(seen) > MAX_CHAIN:
            break
        seen.add(following)
        current = following
    return current


async def _height(uow: UnitOfWork, citizen_id: int) -> int:
    """How many links the longest chain ending at this survivor has."""
    height, level, seen = 0, {citizen_id}, {citizen_id}
    while level and height <= MAX_CHAIN:
        rows = await uow.session.scalars(select(Citizen.id).where(Citizen.merged_into_id.in_(level)))
        level = set(rows.all()) - seen
        seen |= level
        height += 1 if level else 0
    return height
