"""The catalogue's use cases: create, edit (a new version), publish, archive, read as of a date,
search, and what citizens consulted; every change is audited with who and why.

A trámite has numbered versions. Editing makes a new draft version; publishing it supersedes the
version published before (its `superseded_at` is the moment it stopped being shown), so the
version a citizen saw on a date is the one with `published_at <= date < superseded_at`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, func, select, update

from contact_center.core.auth import Principal
from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import Dependencia
from contact_center.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contact_center.core.officials import Role
from contact_center.core.uow import UnitOfWork
from contact_center.tramites import queries
from contact_center.tramites.domain import (
    Status,
    TramiteRecord,
    VersionStatus,
    body_text,
    normalize,
)
from contact_center.tramites.models import Tramite, TramiteAudit, TramiteUsage, TramiteVersion

CHANNELS = frozenset({"portal", "app", "chat", "voice", "console"})
USAGE_KINDS = frozenset({"consulted", "no_result", "useful", "not_useful", "kb_resolved"})
PAGE_SIZE = 20


@dataclass(frozen=True)
class Actor:
    """Who changes the catalogue: an official (API) or the operator at the CLI (`official_id` None)."""

    official_id: int | None
    via: str  # api | cli | import
    role: Role = Role.ADMIN
    dependencia_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.official_id, "api", principal.role, principal.dependencia_id)


@dataclass(frozen=True)
class Shown:
    """One version of a trámite as the public sees it."""

    tramite: Tramite
    version: TramiteVersion
    dependencia: Dependencia

    @property
    def record(self) -> TramiteRecord:
        return TramiteRecord.model_validate(self.version.record)

    def etag(self) -> str:
        return f'"{self.tramite.slug}-v{self.version.number}"'


# -- changes --------------------------------------------------------------------------------------


def _may_edit(actor: Actor, dependencia_id: int) -> None:
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.SUPERVISOR and actor.dependencia_id == dependencia_id:
        return
    raise Forbidden(
        "Solo un administrador o el supervisor de la dependencia dueña puede cambiar este trámite.",
        code="not_tramite_owner",
    )


async def dependencia_by_code(uow: UnitOfWork, code: str) -> Dependencia:
    dep = await uow.session.scalar(select(Dependencia).where(Dependencia.code == code))
    if dep is None:
        raise InvalidInput(f"La dependencia '{code}' no existe.", code="unknown_dependencia")
    return dep


async def create(uow: UnitOfWork, record: TramiteRecord, actor: Actor, reason: str = "") -> Tramite:
    dep = await dependencia_by_code(uow, record.dependencia)
    _may_edit(actor, dep.id)
    slug = record.effective_slug()
    if await uow.session.scalar(select(Tramite.id).where(Tramite.slug == slug)) is not None:
        raise Conflict(f"Ya existe un trámite con el identificador '{slug}'.", code="tramite_exists")
    now = uow.clock.now()
    tramite = Tramite(
        slug=slug,
        dependencia_id=dep.id,
        status=Status.DRAFT,
        latest_version=1,
        consult_count=0,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(tramite)
    await uow.session.flush()
    _add_version(uow, tramite, 1, record.model_copy(update={"slug": slug}), actor)
    _audit(uow, tramite, 1, "created", actor, reason or "Creación del trámite")
    await uow.session.flush()
    return tramite


async def edit(uow: UnitOfWork, slug: str, record: TramiteRecord, actor: Actor, reason: str) -> Tramite:
    """A new draft version; the published one stays shown until this one is published."""
    tramite = await _by_slug(uow, slug, lock=True)
    _may_edit(actor, tramite.dependencia_id)
    if record.slug not in (None, slug):
        raise InvalidInput("El identificador (slug) de un trámite no cambia.", code="slug_immutable")
    dep = await dependencia_by_code(uow, record.dependencia)
    _may_edit(actor, dep.id)  # a supervisor cannot hand a trámite to another dependencia
    await uow.session.execute(
        update(TramiteVersion)
        .where(TramiteVersion.tramite_id == tramite.id, TramiteVersion.status == VersionStatus.DRAFT)
        .values(status=VersionStatus.SUPERSEDED, superseded_at=uow.clock.now())
    )
    tramite.latest_version += 1
    tramite.dependencia_id = dep.id
    tramite.updated_at = uow.clock.now()
    _add_version(uow, tramite, tramite.latest_version, record.model_copy(update={"slug": slug}), actor)
    _audit(uow, tramite, tramite.latest_version, "edited", actor, reason)
    await uow.session.flush()
    return tramite


async def publish(uow: UnitOfWork, slug: str, actor: Actor, reason: str = "") -> Tramite:
    tramite = await _by_slug(uow, slug, lock=True)
    _may_edit(actor, tramite.dependencia_id)
    draft = await _version(uow, tramite, tramite.latest_version)
    if draft.status != VersionStatus.DRAFT:
        raise Conflict("No hay un borrador para publicar.", code="nothing_to_publish")
    now = uow.clock.now()
    await _supersede_published(uow, tramite, now)
    draft.status, draft.published_at = VersionStatus.PUBLISHED, now
    tramite.status, tramite.published_version, tramite.updated_at = Status.PUBLISHED, draft.number, now
    _audit(uow, tramite, draft.number, "published", actor, reason or "Publicación")
    record = TramiteRecord.model_validate(draft.record)
    doc = queries.SearchText(
        name=record.name,
        aka=" ".join(record.also_known_as),
        body=body_text(record),
        situations=" ".join(record.life_situations),
    )
    await uow.session.flush()
    await queries.write_index(await uow.connection(), tramite.id, doc)
    return tramite


async def archive(uow: UnitOfWork, slug: str, actor: Actor, reason: str) -> Tramite:
    tramite = await _by_slug(uow, slug, lock=True)
    _may_edit(actor, tramite.dependencia_id)
    if tramite.status == Status.ARCHIVED:
        raise Conflict("El trámite ya está archivado.", code="already_archived")
    now = uow.clock.now()
    await _supersede_published(uow, tramite, now)
    tramite.status, tramite.published_version, tramite.updated_at = Status.ARCHIVED, None, now
    _audit(uow, tramite, tramite.latest_version, "archived", actor, reason)
    await uow.session.flush()
    await queries.write_index(await uow.connection(), tramite.id, None)
    return tramite


async def _supersede_published(uow: UnitOfWork, tramite: Tramite, now: datetime) -> None:
    await uow.session.execute(
        update(TramiteVersion)
        .where(TramiteVersion.tramite_id == tramite.id, TramiteVersion.status == VersionStatus.PUBLISHED)
        .values(status=VersionStatus.SUPERSEDED, superseded_at=now)
    )


def _add_version(uow: UnitOfWork, tramite: Tramite, number: int, record: TramiteRecord, actor: Actor) -> None:
    uow.session.add(
        TramiteVersion(
            tramite_id=tramite.id,
            number=number,
            status=VersionStatus.DRAFT,
            record=record.model_dump(mode="json"),
            created_at=uow.clock.now(),
            created_by=actor.official_id,
        )
    )


def _audit(uow: UnitOfWork, tramite: Tramite, version: int, action: str, actor: Actor, reason: str) -> None:
    uow.session.add(
        TramiteAudit(
            tramite_id=tramite.id,
            version=version,
            action=action,
            actor_kind="official" if actor.official_id is not None else "system",
            official_id=actor.official_id,
            via=actor.via,
            reason=reason,
            at=uow.clock.now(),
        )
    )


# -- reads ----------------------------------------------------------------------------------------


async def _by_slug(uow: UnitOfWork, slug: str, *, lock: bool = False) -> Tramite:
    stmt = select(Tramite).where(Tramite.slug == slug)
    if lock:
        stmt = stmt.with_for_update()
    tramite = await uow.session.scalar(stmt)
    if tramite is None:
        raise NotFound("El trámite no existe.", code="tramite_not_found")
    return tramite


async def _version(uow: UnitOfWork, tramite: Tramite, number: int) -> TramiteVersion:
    version = await uow.session.scalar(
        select(TramiteVersion).where(TramiteVersion.tramite_id == tramite.id, TramiteVersion.number == number)
    )
    assert version is not None, "every trámite has its latest version"
    return version


async def shown(uow: UnitOfWork, slug: str, as_of: datetime | None = None) -> Shown:
    """The published version now, or the one that was published at `as_of`."""
    tramite = await _by_slug(uow, slug)
    stmt = select(TramiteVersion).where(TramiteVersion.tramite_id == tramite.id)
    if as_of is None:
        stmt = stmt.where(TramiteVersion.status == VersionStatus.PUBLISHED)
    else:
        stmt = stmt.where(
            TramiteVersion.published_at.is_not(None),
            TramiteVersion.published_at <= as_of,
            (TramiteVersion.superseded_at.is_(None)) | (TramiteVersion.superseded_at > as_of),
        )
    version = await uow.session.scalar(stmt.order_by(TramiteVersion.number.desc()).limit(1))
    if version is None:
        raise NotFound("El trámite no está publicado.", code="tramite_not_published")
    dep = await uow.session.get(Dependencia, tramite.dependencia_id)
    assert dep is not None
    return Shown(tramite, version, dep)


async def versions(uow: UnitOfWork, slug: str) -> tuple[Tramite, list[TramiteVersion], list[TramiteAudit]]:
    tramite = await _by_slug(uow, slug)
    found = await uow.session.scalars(
        select(TramiteVersion).where(TramiteVersion.tramite_id == tramite.id).order_by(TramiteVersion.number)
    )
    audit = await uow.session.scalars(
        select(TramiteAudit).where(TramiteAudit.tramite_id == tramite.id).order_by(TramiteAudit.id)
    )
    return tramite, list(found), list(audit)


async def resolve_dependencia(uow: UnitOfWork, value: str | None) -> int | None:
    """A dependencia filter given by id or code; an unknown one is bad input."""
    if not value:
        return None
    column = Dependencia.id if value.isdigit() else Dependencia.code
    key: int | str = int(value) if value.isdigit() and len(value) < 10 else value
    found = await uow.session.scalar(select(Dependencia.id).where(column == key))
    if found is None:
        raise InvalidInput("La dependencia indicada no existe.", code="unknown_dependencia")
    return int(found)


@dataclass(frozen=True)
class Found:
    items: list[Shown]
    total: int


async def search(
    uow: UnitOfWork,
    query: str,
    *,
    dependencia_id: int | None = None,
    situation: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Found:
    found = await queries.search(
        await uow.connection(),
        query,
        dependencia_id=dependencia_id,
        situation=situation,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    return Found(await load_published(uow, found.ids), found.total)


async def load_published(uow: UnitOfWork, ids: list[int]) -> list[Shown]:
    """The published versions of these trámites, in the order of `ids`."""
    if not ids:
        return []
    # Core columns on the search's own connection, not ORM entities: a search is read-only, and an
    # ORM session per request cost more than the search itself (bench_tramites).
    rows = await (await uow.connection()).execute(_PUBLISHED, {"ids": ids})
    by_id = {row.id: _shown(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


_PUBLISHED = (
    select(
        Tramite.id,
        Tramite.slug,
        Tramite.dependencia_id,
        Tramite.status,
        Tramite.published_version,
        TramiteVersion.record,
        TramiteVersion.published_at,
        Dependencia.code,
        Dependencia.name,
    )
    .join(
        TramiteVersion,
        (TramiteVersion.tramite_id == Tramite.id) & (TramiteVersion.number == Tramite.published_version),
    )
    .join(Dependencia, Dependencia.id == Tramite.dependencia_id)
    .where(Tramite.id.in_(bindparam("ids", expanding=True)))
)


def _shown(row: Any) -> Shown:
    number = int(row.published_version)
    tramite = Tramite(id=row.id, slug=row.slug, dependencia_id=row.dependencia_id, status=row.status)
    tramite.published_version = number
    version = TramiteVersion(number=number, record=row.record, published_at=row.published_at)
    dependencia = Dependencia(id=row.dependencia_id, code=row.code, name=row.name)
    return Shown(tramite, version, dependencia)


async def most_consulted(uow: UnitOfWork, limit: int, offset: int) -> tuple[list[Shown], int]:
    """Published trámites, the most consulted first (the 195 menu's order)."""
    total = await uow.session.scalar(
        select(func.count()).select_from(Tramite).where(Tramite.status == Status.PUBLISHED)
    )
    ids = await uow.session.scalars(
        select(Tramite.id)
        .where(Tramite.status == Status.PUBLISHED)
        .order_by(Tramite.consult_count.desc(), Tramite.search_name, Tramite.id)
        .limit(limit)
        .offset(offset)
    )
    return await load_published(uow, list(ids)), int(total or 0)


# -- what citizens looked for ---------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d{5,}")


def masked_query(query: str) -> str:
    """A search as kept for reports: normalised, long digit runs (documents, phones) masked."""
    return _DIGIT_RUN.sub("#", " ".join(normalize(query).split()))[:120]


async def record_usage(
    uow: UnitOfWork, kind: str, channel: str, *, tramite_id: int | None = None, query: str | None = None
) -> None:
    if kind not in USAGE_KINDS or channel not in CHANNELS:
        raise InvalidInput("Canal o tipo de registro no válido.", code="invalid_usage")
    now = uow.clock.now()
    uow.session.add(
        TramiteUsage(
            kind=kind,
            channel=channel,
            month=now.astimezone(BOGOTA).strftime("%Y-%m"),
            tramite_id=tramite_id,
            query=None if query is None else masked_query(query),
            at=now,
        )
    )
    if kind == "consulted" and tramite_id is not None:
        await uow.session.execute(
            update(Tramite).where(Tramite.id == tramite_id).values(consult_count=Tramite.consult_count + 1)
        )


async def feedback(uow: UnitOfWork, slug: str, useful: bool, channel: str, *, resolved: bool = False) -> None:
    """ "¿Le fue útil?"; `resolved`: the answer ended the citizen's need before an official was
    asked (the chat suggestions), counted as resolved by the knowledge base."""
    tramite = await _by_slug(uow, slug)
    await record_usage(uow, "useful" if useful else "not_useful", channel, tramite_id=tramite.id)
    if resolved and useful:
        await record_usage(uow, "kb_resolved", channel, tramite_id=tramite.id)


def validation_errors(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "registro"
        out.append(f"{where}: {err['msg']}")
    return out
