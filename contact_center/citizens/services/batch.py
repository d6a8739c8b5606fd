"""The citizens behind many filings at once, by the rules of `citizens.find_or_create_citizen`.

For details that carry only claims (nothing proven), which is what the CSV import of old records
has: the typed e-mail leads to the citizen already holding it (following merges); a document
number or a phone leads nowhere. Each row is resolved as if the rows were filed one after the
other: the first row with a new e-mail creates its citizen and later rows with that e-mail join
it; every other row creates a citizen of its own, and its claims are kept where nobody (in the
database or in an earlier row) holds the value yet. A few statements for the whole batch instead
of several per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select

from contact_center.citizens.services.identities import MERGE_DEPTH, PROOF_CLAIMS, CitizenDetails, Identity
from contact_center.core.db.batch_rows import insert_returning_ids, insert_rows
from contact_center.core.db.models import Citizen, CitizenIdentity
from contact_center.core.db.quiet_insert import insert_ignoring_conflicts
from contact_center.core.uow import UnitOfWork

_CITIZENS: Table = Citizen.__table__  # type: ignore[assignment]
_IDENTITIES: Table = CitizenIdentity.__table__  # type: ignore[assignment]
_CHUNK = 1000  # values per IN (...) list


async def citizens_for_claims(uow: UnitOfWork, details: Sequence[CitizenDetails | None]) -> list[int | None]:
    """The citizen id of each entry (None for None), creating citizens and their claims as needed.

    Runs in the caller's transaction. Refuses proven identities (ValueError): those go through
    `citizens.find_or_create_citizen`, one filing at a time."""
    identities = [d.identities() if d is not None else [] for d in details]
    if any(i.verified for found in identities for i in found):
        raise ValueError("citizens_for_claims takes claims only")
    held = await _holders(uow, {i.value for found in identities for i in found if i.kind in PROOF_CLAIMS})
    # Each entry: an existing citizen's id, or ("new", k) for the k-th citizen created here.
    chosen: list[int | tuple[str, int] | None] = []
    created: list[tuple[CitizenDetails, list[Identity]]] = []
    leads: dict[str, int | tuple[str, int]] = dict(held)
    for entry, found in zip(details, identities, strict=True):
        if entry is None:
            chosen.append(None)
            continue
        lead = next((i.value for i in found if i.kind in PROOF_CLAIMS), None)
        if lead is not None and lead in leads:
            chosen.append(leads[lead])
            continue
        new = ("new", len(created))
        created.append((entry, found))
        if lead is not None:
            leads[lead] = new
        chosen.append(new)
    ids = await _create(uow, created)
    return [ids[c[1]] if isinstance(c, tuple) else c for c in chosen]


async def _holders(uow: UnitOfWork, emails: set[str]) -> dict[str, int]:
    """E-mail -> the citizen holding it (claimed or proven), after following merges."""
    values = sorted(emails)
    holders: dict[str, int] = {}
    for start in range(0, len(values), _CHUNK):
        rows = await uow.session.execute(
            select(CitizenIdentity.value, CitizenIdentity.citizen_id).where(
                CitizenIdentity.kind.in_(PROOF_CLAIMS),
                CitizenIdentity.value.in_(values[start : start + _CHUNK]),
            )
        )
        holders.update({value: citizen_id for value, citizen_id in rows})
    surviving = await _surviving(uow, set(holders.values()))
    return {value: surviving[citizen_id] for value, citizen_id in holders.items()}


async def _surviving(uow: UnitOfWork, ids: set[int]) -> dict[int, int]:
    """Citizen id -> the citizen that absorbed it (itself when never merged)."""
    into: dict[int, int | None] = {}
    pending = set(ids)
    for _ in range(MERGE_DEPTH):
        pending -= into.keys()
        if not pending:
            break
        values = sorted(pending)
        for start in range(0, len(values), _CHUNK):
            rows = await uow.session.execute(
                select(Citizen.id, Citizen.merged_into_id).where(
                    Citizen.id.in_(values[start : start + _CHUNK])
                )
            )
            into.update({citizen_id: target for citizen_id, target in rows})
        pending = {target for target in into.values() if target is not None}
    result = {}
    for citizen_id in ids:
        current = citizen_id
        for _ in range(MERGE_DEPTH):
            target = into.get(current)
            if target is None:
                break
            current = target
        result[citizen_id] = current
    return result


async def _create(uow: UnitOfWork, created: list[tuple[CitizenDetails, list[Identity]]]) -> list[int]:
    """Insert the new citizens, the e-mail each was created for and their other claims (only
    where the value is free, the first row to claim it keeping it)."""
    now = uow.clock.now()
    ids = await insert_returning_ids(
        uow.session, _CITIZENS, [{"name": d.name, "created_at": now} for d, _ in created]
    )
    leading: list[dict[str, Any]] = []
    claims: dict[tuple[str, str], dict[str, Any]] = {}
    for citizen_id, (_, found) in zip(ids, created, strict=True):
        for identity in found:
            row = {
                "citizen_id": citizen_id,
                "kind": identity.kind,
                "value": identity.value,
                "verified": False,
                "created_at": now,
            }
            if identity.kind in PROOF_CLAIMS:
                leading.append(row)  # free: nobody held it, and only this citizen was created for it
            else:
                claims.setdefault((identity.kind, identity.value), row)
    # A plain INSERT: a concurrent filing that took one of these e-mails meanwhile fails the batch
    # (IntegrityError) rather than leaving a second citizen behind the same address.
    await insert_rows(uow.session, _IDENTITIES, leading)
    rest = list(claims.values())
    for start in range(0, len(rest), _CHUNK):
        await insert_ignoring_conflicts(uow.session, _IDENTITIES, rest[start : start + _CHUNK])
    return ids
