"""The dependencias as the filing hot path needs them (id, code, name, triage), cached per process.

They change a few times a year (an administrator or `seed-demo`), so filing reads them from the
configuration cache (`config_cache`: dropped on any ORM write to `dependencias` in this process,
re-read after two seconds otherwise) instead of two queries per PQRD.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from contact_center.core.db.models import Dependencia
from contact_center.core.errors import InvalidInput, NotFound
from contact_center.core.uow import UnitOfWork
from contact_center.pqrd.services.config_cache import cached


@dataclass(frozen=True, slots=True)
class DependenciaRef:
    """A dependencia's identity and names, detached from any session."""

    id: int
    code: str
    name: str
    email: str | None
    is_triage: bool


@dataclass(frozen=True)
class Directory:
    by_id: dict[int, DependenciaRef]
    by_code: dict[str, DependenciaRef]
    triage: DependenciaRef | None  # the lowest id marked is_triage


async def directory(uow: UnitOfWork) -> Directory:
    """Every dependencia, by id and by code."""
    return await cached(uow, "dependencias", lambda: _read(uow))


async def _read(uow: UnitOfWork) -> Directory:
    rows = (await uow.session.scalars(select(Dependencia).order_by(Dependencia.id))).all()
    refs = [DependenciaRef(d.id, d.code, d.name, d.email, bool(d.is_triage)) for d in rows]
    triage = next((r for r in refs if r.is_triage), None)
    return Directory({r.id: r for r in refs}, {r.code: r for r in refs}, triage)


async def filing_dependencia(uow: UnitOfWork, code: str | None) -> DependenciaRef:
    """The dependencia a PQRD is filed to: the one with `code` (400 `unknown_dependencia`), or the
    triage dependencia when no code is given (404 `no_triage` when none is configured)."""
    found = await directory(uow)
    ref = found.triage if code is None else found.by_code.get(code)
    if ref is None:  # perhaps created by another process within the cache's lifetime: ask
        found = await _read(uow)
        ref = found.triage if code is None else found.by_code.get(code)
    if ref is None and code is None:
        raise NotFound("No hay una dependencia de clasificación configurada.", code="no_triage")
    if ref is None:
        raise InvalidInput(f"Dependencia desconocida: «{code}».", code="unknown_dependencia")
    return ref


async def dependencia_ref(uow: UnitOfWork, dependencia_id: int) -> DependenciaRef:
    """The dependencia with this id (it exists: tickets reference it by foreign key)."""
    found = (await directory(uow)).by_id.get(dependencia_id)
    if found is None:  # created by another process within the cache's lifetime
        row = await uow.session.get(Dependencia, dependencia_id)
        assert row is not None
        return DependenciaRef(row.id, row.code, row.name, row.email, bool(row.is_triage))
    return found
