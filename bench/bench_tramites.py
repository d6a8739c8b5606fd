"""Catalogue search under load: p50/p99 of a search at a steady request rate over N published
trámites, on SQLite and PostgreSQL, against a naive `LIKE '%...%'` scan in the same run.

Each request is what `GET /api/v1/tramites?q=` does below HTTP: the ranked search (FTS5 or
PostgreSQL full text, typo fallback) and loading the published records of the first page. The
baseline does the same with a `LIKE` scan over name, synonyms and text. Requests are sent open-loop
(one every 1/rate s, whether the previous ones finished or not), so queueing shows in the p99.
It also counts how many of the citizen-style queries find the trámite they mean (accents, plurals,
a typo, synonyms), where LIKE finds far fewer.

    .venv/bin/python -m bench.bench_tramites [--quick] [--tramites N] [--rate R] [--seconds S]
        [--engines sqlite,postgres] [--pg-admin-dsn DSN]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from contact_center.core.clock import FakeClock
from contact_center.core.db import migrate
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.seed import seed_demo
from contact_center.tramites import importer, queries, services
from contact_center.tramites.services import Actor
from tests.conftest import START

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# (what a citizen types, the slug they mean)
QUERIES = (
    ("licencia conduccion", "licencia-de-conduccion"),
    ("impuestos prediales", "impuesto-predial"),
    ("sisben", "sisben-encuesta"),
    ("licencia conducion", "licencia-de-conduccion"),
    ("paz y salvo", "paz-y-salvo-predial"),
    ("pase de conducir", "licencia-de-conduccion"),
    ("uso del suelo", "concepto-de-uso-del-suelo"),
    ("comparendos", "consulta-y-pago-de-comparendos"),
    ("espectaculos publicos", "permiso-espectaculos-publicos"),
    ("certificado de residencia", "certificado-de-residencia"),
)
KINDS = ("Certificado", "Permiso", "Licencia", "Registro", "Inscripción", "Autorización", "Constancia")
OBJECTS = ("tala de árboles", "ocupación de vía", "ventas ambulantes", "mascotas", "acueducto veredal",
           "parqueaderos", "ruido", "plaza de mercado", "bomberos", "turismo", "escenarios deportivos",
           "cementerio", "alumbrado", "vivienda de interés social", "juntas de acción comunal")  # fmt: skip
DEPS = ("hacienda", "gobierno", "planeacion", "salud", "transito", "educacion")


def synthetic(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        kind, obj = rng.choice(KINDS), rng.choice(OBJECTS)
        name = f"{kind} de {obj} número {i}"
        rows.append(
            {
                "name": name,
                "dependencia": rng.choice(DEPS),
                "purpose": f"Obtener el {kind.lower()} de {obj} en la zona {rng.randint(1, 12)}.",
                "also_known_as": [f"{obj} {i}"],
                "voice_summary": f"{name}. Requisitos por confirmar con la dependencia.",
                "chat_answer": f"{name}: requisitos, costo y tiempo por confirmar con la dependencia.",
            }
        )
    return rows


async def _populate(factory: UnitOfWorkFactory, total: int) -> None:
    async with factory() as uow:
        await seed_demo(uow)  # the 20 demo trámites
    rows = synthetic(max(0, total - 20), random.Random(195))
    for start in range(0, len(rows), 500):
        async with factory() as uow:
            await importer.import_rows(uow, rows[start : start + 500], Actor(None, "import"), "bench")
            await uow.commit()


Search = Callable[[UnitOfWorkFactory, str], Awaitable[list[str]]]


async def ranked(factory: UnitOfWorkFactory, q: str) -> list[str]:
    async with factory() as uow:
        found = await services.search(uow, q)
        return [s.tramite.slug for s in found.items]


async def like(factory: UnitOfWorkFactory, q: str) -> list[str]:
    async with factory() as uow:
        ids = await queries.like_scan(await uow.connection(), q, limit=services.PAGE_SIZE)
        return [s.tramite.slug for s in await services.load_published(uow, ids)]


async def _load(factory: UnitOfWorkFactory, search: Search, rate: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []

    async def one(q: str) -> None:
        began = time.perf_counter()
        await search(factory, q)
        latencies.append((time.perf_counter() - began) * 1000)

    tasks = []
    count = int(rate * seconds)
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(QUERIES[i % len(QUERIES)][0])))
    await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return {
        "requests": count,
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "achieved_rate": round(count / (time.perf_counter() - start), 1),
    }


async def _found(factory: UnitOfWorkFactory, search: Search) -> int:
    found = 0
    for q, slug in QUERIES:
        found += slug in (await search(factory, q))[:3]
    return found


async def run_engine(url: str, tramites: int, rate: float, seconds: float) -> dict[str, Any]:
    await migrate.upgrade_async(url)
    engine = create_engine(url, pool_size=10)
    try:
        factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), FakeClock(START))
        began = time.perf_counter()
        await _populate(factory, tramites)
        populate_s = time.perf_counter() - began
        for q, _ in QUERIES:  # warm caches and compiled statements
            await ranked(factory, q)
            await like(factory, q)
        return {
            "tramites": tramites,
            "rate": rate,
            "populate_s": round(populate_s, 1),
            "search": await _load(factory, ranked, rate, seconds),
            "like": await _load(factory, like, rate, seconds),
            "queries": len(QUERIES),
            "search_found_top3": await _found(factory, ranked),
            "like_found_top3": await _found(factory, like),
        }
    finally:
        await engine.dispose()


async def _with_postgres(dsn: str, action: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    name = f"bench_tramites_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    try:
        return await action(url)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                out["sqlite"] = await run_engine(url, args.tramites, args.rate, args.seconds)
        else:
            out["postgres"] = await _with_postgres(
                args.pg_admin_dsn, lambda url: run_engine(url, args.tramites, args.rate, args.seconds)
            )
    out["target_p99_ms"] = 20
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 trámites, 20 req/s for 2 s")
    parser.add_argument("--tramites", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-admin-dsn", default=PG_ADMIN_DSN)
    args = parser.parse_args(argv)
    if args.quick:
        args.tramites, args.rate, args.seconds = 200, 20.0, 2.0
    result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
