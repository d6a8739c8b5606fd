"""Find or create the citizen behind a filing, from the identities they give.

Matching is automatic only on strong identities: a document number ("CC:1085123456") and an e-mail
address or phone number whose control was proven (verified). An unverified e-mail or phone only
joins a citizen already matched by document; on its own it never joins anybody's history, so
typing someone else's address cannot read or write their cases. Officials merge the rest by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError

from contact_center.domain.errors import InvalidInput
from contact_center.persistence.models import Citizen, CitizenIdentity
from contact_center.services.uow import UnitOfWork

DOCUMENT_TYPES = frozenset({"CC", "CE", "TI", "PA", "NIT", "PEP", "PPT", "RC"})
"""Cédula, cédula de extranjería, tarjeta de identidad, pasaporte, NIT, PEP, PPT, registro civil."""

_EMAIL = re.compile(
    r"^[^@\s<>\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
_MERGE_DEPTH = 10


@dataclass(frozen=True, slots=True)
class Identity:
    kind: str  # document | email | phone | app_account | chat_visitor
    value: str
    verified: bool = False

    @property
    def strong(self) -> bool:
        return self.kind == "document" or self.verified


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
    """The citizen these details identify, created if no strong identity matches; their new
    identities are attached. Runs inside the caller's transaction (flushes, never commits)."""
    identities = details.identities()
    citizen = await _match(uow, identities)
    if citizen is None:
        citizen = await _create(uow, details, identities)
        if citizen is not None:
            return citizen
        # A concurrent filing created the same person first: use theirs.
        citizen = await _match(uow, identities)
        assert citizen is not None
    if details.name and not citizen.name:
        citizen.name = details.name
    by_document = any(i.kind == "document" for i in identities)
    await _attach(uow, citizen, [i for i in identities if i.strong or by_document])
    return citizen


async def _match(uow: UnitOfWork, identities: list[Identity]) -> Citizen | None:
    strong = [i for i in identities if i.strong]
    if not strong:
        return None
    rows = (
        await uow.session.scalars(
            select(CitizenIdentity).where(
                or_(*(_same(i) for i in strong)),
            )
        )
    ).all()
    # The document decides when strong identities point at different people.
    rows = sorted(rows, key=lambda r: (r.kind != "document", r.citizen_id))
    for row in rows:
        if row.kind == "document" or row.verified:
            return await _surviving(uow, row.citizen_id)
    return None


def _same(identity: Identity) -> ColumnElement[bool]:
    return (CitizenIdentity.kind == identity.kind) & (CitizenIdentity.value == identity.value)


async def _surviving(uow: UnitOfWork, citizen_id: int) -> Citizen:
    """Follow merges to the citizen that absorbed this one."""
    citizen = await uow.session.get(Citizen, citizen_id)
    for _ in range(_MERGE_DEPTH):
        assert citizen is not None
        if citizen.merged_into_id is None:
            break
        citizen = await uow.session.get(Citizen, citizen.merged_into_id)
    assert citizen is not None
    return citizen


async def _create(uow: UnitOfWork, details: CitizenDetails, identities: list[Identity]) -> Citizen | None:
    """A new citizen with their identities, or None when a strong one was taken meanwhile."""
    now = uow.clock.now()
    by_document = any(i.kind == "document" for i in identities)
    keep = [i for i in identities if i.strong or by_document]
    taken = await _taken(uow, [i for i in keep if not i.strong])
    try:
        async with uow.session.begin_nested():
            citizen = Citizen(name=details.name, created_at=now)
            uow.session.add(citizen)
            await uow.session.flush()
            for identity in keep:
                if (identity.kind, identity.value) not in taken:
                    uow.session.add(_row(citizen.id, identity, now))
            await uow.session.flush()
    except IntegrityError:
        return None
    return citizen


async def _taken(uow: UnitOfWork, identities: list[Identity]) -> set[tuple[str, str]]:
    if not identities:
        return set()
    rows = await uow.session.execute(
        select(CitizenIdentity.kind, CitizenIdentity.value).where(or_(*(_same(i) for i in identities)))
    )
    return {(kind, value) for kind, value in rows}


async def _attach(uow: UnitOfWork, citizen: Citizen, identities: list[Identity]) -> None:
    """Add what is new; a verified claim takes over an unverified row held by somebody else."""
    if not identities:
        return
    rows = (
        await uow.session.scalars(select(CitizenIdentity).where(or_(*(_same(i) for i in identities))))
    ).all()
    existing = {(r.kind, r.value): r for r in rows}
    now = uow.clock.now()
    for identity in identities:
        row = existing.get((identity.kind, identity.value))
        if row is None:
            try:
                async with uow.session.begin_nested():
                    uow.session.add(_row(citizen.id, identity, now))
            except IntegrityError:
                continue  # attached concurrently; it stays with whoever got it first
        elif identity.verified and not row.verified:
            row.citizen_id, row.verified = citizen.id, True


def _row(citizen_id: int, identity: Identity, now: datetime) -> CitizenIdentity:
    return CitizenIdentity(
        citizen_id=citizen_id,
        kind=identity.kind,
        value=identity.value,
        verified=identity.verified,
        created_at=now,
    )
