"""The demo catalogue `seed-demo` loads: 20 trámites of a Colombian municipality.

Written for the demo: legal bases are named only where they are certain (norm, number, year) and
every other fact reads "por confirmar con la dependencia". Running it twice changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from contact_center.core.db.models import Dependencia
from contact_center.core.uow import UnitOfWork
from contact_center.tramites import importer
from contact_center.tramites.models import Tramite
from contact_center.tramites.services import Actor

DEMO_FILE = Path(__file__).parent / "data" / "demo_tramites.json"
# Dependencias the catalogue needs besides the ones of contact_center.seed.
EXTRA_DEPENDENCIAS = [("planeacion", "Secretaría de Planeación Municipal")]


async def seed_tramites(uow: UnitOfWork) -> int:
    """Create and publish the demo trámites that do not exist yet; returns how many were created."""
    for code, name in EXTRA_DEPENDENCIAS:
        if await uow.session.scalar(select(Dependencia.id).where(Dependencia.code == code)) is None:
            uow.session.add(Dependencia(code=code, name=name, is_triage=False))
    await uow.session.flush()
    existing = set(await uow.session.scalars(select(Tramite.slug)))
    rows = [r for r in json.loads(DEMO_FILE.read_text("utf-8")) if r["slug"] not in existing]
    if rows:
        await importer.import_rows(uow, rows, Actor(None, "cli"), "Catálogo de demostración (seed-demo)")
    await uow.commit()
    return len(rows)
