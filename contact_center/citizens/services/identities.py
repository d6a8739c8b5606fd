"""Find or create the citizen behind a filing, from the identities they give.

Access to a history follows proof, never claims. What a filer types (a document number such as
"CC:1085123456", an e-mail address, a phone number) is a *claim*: stored with the citizen record the
filing creates, when nobody holds that value yet, and never used to join two histories. Only an
identity whose control was proven (`verified`: an e-mail confirmed with a code, a phone confirmed
by SMS) matches an existing citizen, and so opens its history in the app.

One claim leads somewhere: the e-mail address. A filing that gives address X joins the citizen
holding X (and adds no other claim to it), and whoever later proves X joins that citizen: the
filings that named X as their contact address are theirs to see, and the acknowledgements went
to X anyway. A document number or an unverified phone never joins anything, so typing somebody
else's cédula neither reads nor writes their cases. Officials merge the rest by hand
(`merged_into_id`), after checking the person's document themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, select
from sqlalchemy.exc import IntegrityError

from contact_center.citizens.domain import PRIVACY_NOTICE_VERSION
from contact_center.citizens.queries import insert_citizen, insert_consent
from contact_center.core.db.models import Citizen, CitizenIdentity
from contact_center.core.db.quiet_insert import insert_ignoring_conflicts
from contact_center.core.errors import InvalidInput
from contact_center.core.uow import UnitOfWork

DOCUMENT_TYPES = frozenset({"CC", "CE", "TI", "PA", "NIT", "PEP", "PPT", "RC"})
"""Cédula, cédula de extranjería, tarjeta de identidad, pasaporte, NIT, PEP, PPT, registro civil."""

_EMAIL = re.compile(
    r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
MERGE_DEPTH = 10  # links of citizens.merged_into_id any reader follows (merges refuse longer chains)
_IDENTITIES: Table = CitizenIdentity.__table__  # type: ignore[assignment]
PROOF_CLAIMS = frozenset({"email"})
"""Kinds whose unverified claim a later proof takes over, together with the history behind it."""


@dataclass(frozen=True, slots=True)
class Identity:
    kind: str  # document | email | phone | app_account | chat_visitor
    value: str
    verified: bool = False

    @property
    def leads_to_holder(self) -> bool:
        """Whether this identity finds the citizen already holding it (see the module docstring)."""
        return self.verified or self.kind in PROOF_CLAIMS


@dataclass(frozen=True, slots=True)
class CitizenDetails:
    """What a citizen told us about themselves on one channel."""

    name: str | None = None
    document_type: str | None = None
    document_number: str | None = None
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    phone_verified: bool = False

    def identities(self) -> list[Identity]:
        found: list[Identity] = []
        if self.document_number:
            found.append(
                Identity("document", document_value(self.document_type or "CC", self.document_number))
            )
        if self.email:
            found.append(Identity("email", normalize_email(self.email), self.email_verified))
        if self.phone:
            found.append(Identity("phone", normalize_phone(self.phone), self.phone_verified))
        return found


def document_value(document_type: str, number: str) -> str:
    """ "CC:1085123456": the type and the number without dots, spaces or hyphens."""
    kind = document_type.strip().upper()
    if kind not in DOCUMENT_TYPES:
        raise InvalidInput(f"Tipo de documento desconocido: «{document_type}».", code="invalid_document_type")
    digits = re.sub(r"[\s.\-]", "", number).upper()
    if not (4 <= len(digits) <= 20 and digits.isascii() and digits.isalnum()):
        raise InvalidInput("El número de documento no es válido.", code="invalid_document_number")
    return f"{kind}:{digits}"


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("El correo electrónico no es válido.", code="invalid_email")
    return value


def normalize_phone(phone: str) -> str:
    """E.164. Colombian numbers may come without the country code: mobiles (3xx xxx xxxx) and
    landlines with their 60x area prefix (ten digits since 2021)."""
    raw = phone.strip()
    digits = re.sub(r"[\s().\-]", "", raw)
    if digits.startswith("+"):
        rest = digits[1:]
    elif digits.startswith("00"):
        rest = digits[2:]
    elif len(digits) == 10 and digits.startswith(("3", "60")):
        rest = "57" + digits
    elif len(digits) == 12 and digits.startswith("57"):
        rest = digits
    else:
        rest = ""
    if not (rest.isascii() and rest.isdigit() and 8 <= len(rest) <= 15) or (
        rest.startswith("57") and len(rest) != 12
    ):
        raise InvalidInput("El número de teléfono no es válido.", code="invalid_phone")
    return "+" + rest


async def find_or_create_citizen(uow: UnitOfWork, details: CitizenDetails) -> Citizen:
    """The citizen these details lead to (proven identities first, then the typed e-mail), created
    when there is none. A citizen found by proof gets the new proven identities; one found through
    a mere claim gets nothing added. Runs in the caller's transaction (flushes, never commits)."""
    identities = details.identities()
    for _ in range(3):
        found = await _match(uow, identities)
        if found is not None:
            citizen, proven = found
            if proven:
                if details.name and not citizen.name:
                    citizen.name = details.name
                await _attach_proofs(uow, citizen, [i for i in identities if i.verified])
            return citizen
        created = await _create(uow, details, identities)
        if created is not None:
            return created
        # A concurrent filing took one of these identities first: follow it there.
    raise AssertionError("identity kept changing hands")  # pragma: no cover


async def citizen_for_filing(uow: UnitOfWork, details: CitizenDetails, *, channel: str) -> int:
    """`find_or_create_citizen` for a filing, recording the consent given with it; the citizen's id.

    Most filings give only what leads nowhere (a document number, an unverified phone): nothing to
    look up, so the citizen, the claims and the consent are written at once (one statement on
    PostgreSQL) without the ORM."""
    identities = details.identities()
    now = uow.clock.now()
    if any(i.leads_to_holder for i in identities):
        citizen = await find_or_create_citizen(uow, details)
        await insert_consent(uow.session, citizen.id, PRIVACY_NOTICE_VERSION, channel, now)
        return citizen.id
    claims = [(i.kind, i.value) for i in identities]
    consent = (PRIVACY_NOTICE_VERSION, channel)
    return await insert_citizen(
        uow.session, name=details.name, created_at=now, claims=claims, consent=consent
    )


async def attach_claims(uow: UnitOfWork, citizen: Citizen, details: CitizenDetails) -> None:
    """Record what the citizen typed (unverified) where nobody holds it yet; it joins nothing."""
    claims = [i for i in details.identities() if not i.verified]
    await _insert_claims(uow, [_values(citizen.id, identity, uow.clock.now()) for identity in claims])


async def _match(uow: UnitOfWork, identities: list[Identity]) -> tuple[Citizen, bool] | None:
    """The citizen and whether a proof led there; None when nothing leads anywhere."""
    leads = [i for i in identities if i.leads_to_holder]
    if not leads:
        return None
    rows = (await uow.session.scalars(select(CitizenIdentity).where(or_(*(_same(i) for i in leads))))).all()
    held = {(r.kind, r.value): r for r in rows}
    proofs = [i for i in leads if i.verified]
    # A proof over a proven row, then a proof over an e-mail claim, then the typed e-mail.
    for identity, needs in [(i, True) for i in proofs] + [(i, False) for i in proofs]:
        row = held.get((identity.kind, identity.value))
        if row is not None and (row.verified == needs) and (needs or row.kind in PROOF_CLAIMS):
            return await _surviving(uow, row.citizen_id), True
    for identity in leads:
        row = held.get((identity.kind, identity.value))
        if not identity.verified and row is not None:
            return await _surviving(uow, row.citizen_id), False
    return None


def _same(identity: Identity) -> ColumnElement[bool]:
    return (CitizenIdentity.kind == identity.kind) & (CitizenIdentity.value == identity.value)


async def _surviving(uow: UnitOfWork, citizen_id: int) -> Citizen:
    """Follow merges to the citizen that absorbed this one."""
    citizen = await uow.session.get(Citizen, citizen_id)
    for _ in range(MERGE_DEPTH):
        assert citizen is not None
        if citizen.merged_into_id is None:
            break
        citizen = await uow.session.get(Citizen, citizen.merged_into_id)
    assert citizen is not None
    return citizen


async def _create(uow: UnitOfWork, details: CitizenDetails, identities: list[Identity]) -> Citizen | None:
    """A new citizen with their identities, or None when one that leads somewhere was taken meanwhile.

    A proof takes over a claim of its value held elsewhere; claims that lead nowhere (document,
    unverified phone) are kept only where free."""
    now = uow.clock.now()
    leading = [i for i in identities if i.leads_to_holder]
    citizen = Citizen(name=details.name, created_at=now)
    if leading:
        held = await _taken(uow, leading)
        try:
            async with uow.session.begin_nested():
                uow.session.add(citizen)
                await uow.session.flush()
                for identity in leading:
                    if (identity.kind, identity.value) not in held:
                        uow.session.add(_row(citizen.id, identity, now))
                await uow.session.flush()
        except IntegrityError:
            return None
        await _attach_proofs(uow, citizen, [i for i in leading if i.verified])
    else:  # nothing that could be taken meanwhile: no SAVEPOINT needed
        uow.session.add(citizen)
        await uow.session.flush()
    rest = [i for i in identities if not i.leads_to_holder]
    await _insert_claims(uow, [_values(citizen.id, identity, now) for identity in rest])
    return citizen


async def _insert_claims(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Insert identities where nobody holds the value yet (one statement, no SAVEPOINT)."""
    await insert_ignoring_conflicts(uow.session, _IDENTITIES, rows)


def _values(citizen_id: int, identity: Identity, now: datetime) -> dict[str, Any]:
    return {
        "citizen_id": citizen_id,
        "kind": identity.kind,
        "value": identity.value,
        "verified": identity.verified,
        "created_at": now,
    }


async def _taken(uow: UnitOfWork, identities: list[Identity]) -> set[tuple[str, str]]:
    if not identities:
        return set()
    rows = await uow.session.execute(
        select(CitizenIdentity.kind, CitizenIdentity.value).where(or_(*(_same(i) for i in identities)))
    )
    return {(kind, value) for kind, value in rows}


async def _attach_proofs(uow: UnitOfWork, citizen: Citizen, proofs: list[Identity]) -> None:
    """Add the proven identities that are new; a proof takes over a claim of the same value, which
    moves the bare row (not the history) when somebody else's record held it."""
    if not proofs:
        return
    rows = (await uow.session.scalars(select(CitizenIdentity).where(or_(*(_same(i) for i in proofs))))).all()
    existing = {(r.kind, r.value): r for r in rows}
    now = uow.clock.now()
    for identity in proofs:
        row = existing.get((identity.kind, identity.value))
        if row is None:
            await _insert_claims(uow, [_values(citizen.id, identity, now)])
        elif not row.verified:
            row.citizen_id, row.verified = citizen.id, True


def _row(citizen_id: int, identity: Identity, now: datetime) -> CitizenIdentity:
    return CitizenIdentity(
        citizen_id=citizen_id,
        kind=identity.kind,
        value=identity.value,
        verified=identity.verified,
        created_at=now,
    )


async def citizen_ids(uow: UnitOfWork, citizen_id: int) -> list[int]:
    """The citizen and every record merged into it (directly or through other merges)."""
    found = {citizen_id}
    frontier = {citizen_id}
    while frontier:
        rows = await uow.session.scalars(select(Citizen.id).where(Citizen.merged_into_id.in_(frontier)))
        frontier = set(rows.all()) - found
        found |= frontier
    return sorted(found)
