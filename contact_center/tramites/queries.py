"""Every dialect difference of the catalogue's search lives here.

PostgreSQL: full-text search with the `es_unaccent` configuration (Spanish stemming after
`unaccent`), the weighted document name A / synonyms B / text C ranked by `ts_rank`, each query
word a prefix; when that finds nothing, `pg_trgm` word similarity over name and synonyms (typos).
SQLite: FTS5 (`unicode61 remove_diacritics`) over text stemmed by `domain.light_stem`, ranked by
`bm25` with the same column weights; when that finds nothing, the FTS5 trigram table gives
candidates and `domain.word_similarity` keeps the close ones.

Both engines answer the same question, `search(...) -> Page`: the ids of matching *published*
trámites in rank order, and how many match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from contact_center.tramites.domain import (
    WORD,
    normalize,
    search_terms,
    search_words,
    stemmed_text,
    word_similarity,
)

# The weighted document stored in `search_document` (PostgreSQL only; GIN-indexed by the migration).
PG_DOCUMENT = (
    "(setweight(to_tsvector('public.es_unaccent'::regconfig, coalesce(search_name, '')), 'A') || "
    "setweight(to_tsvector('public.es_unaccent'::regconfig, coalesce(search_aka, '')), 'B') || "
    "setweight(to_tsvector('public.es_unaccent'::regconfig, coalesce(search_body, '')), 'C'))"
)
# ts_rank weights in the order D, C, B, A: a hit in the name counts ten times one in the text.
PG_WEIGHTS = "'{0.05, 0.1, 0.5, 1.0}'"
SQLITE_WEIGHTS = "10.0, 5.0, 1.0"  # bm25 per column: name, aka, body
TYPO_THRESHOLD = 0.5  # word similarity kept by the SQLite fallback
TRIGRAM_CANDIDATES = 60


@dataclass(frozen=True)
class Page:
    ids: list[int]
    total: int


@dataclass(frozen=True)
class SearchText:
    name: str
    aka: str
    body: str
    situations: str


def _filters(dependencia_id: int | None, situation: str | None) -> tuple[str, dict[str, object]]:
    sql, params = " AND t.status = 'published'", dict[str, object]()
    if dependencia_id is not None:
        sql += " AND t.dependencia_id = :dep"
        params["dep"] = dependencia_id
    if situation:
        sql += " AND t.situations LIKE :situation"
        params["situation"] = f"% {situation} %"
    return sql, params


async def write_index(conn: AsyncConnection, tramite_id: int, doc: SearchText | None) -> None:
    """Point the search at a trámite's published text (None: it is not searchable any more)."""
    values = {
        "id": tramite_id,
        "name": doc.name if doc else None,
        "aka": doc.aka if doc else None,
        "body": doc.body if doc else None,
        "norm": normalize(f"{doc.name} {doc.aka}") if doc else None,
        "situations": f" {doc.situations} " if doc else None,
    }
    await conn.execute(
        text(
            "UPDATE tramites SET search_name = :name, search_aka = :aka, search_body = :body, "
            "search_norm = :norm, situations = :situations WHERE id = :id"
        ),
        values,
    )
    if conn.dialect.name == "sqlite":
        await _sqlite_index(conn, tramite_id, doc)
    else:
        document = f"CASE WHEN search_name IS NULL THEN NULL ELSE {PG_DOCUMENT} END"
        await conn.execute(
            text(f"UPDATE tramites SET search_document = {document} WHERE id = :id"),  # noqa: S608
            {"id": tramite_id},
        )


async def _sqlite_index(conn: AsyncConnection, tramite_id: int, doc: SearchText | None) -> None:
    await conn.execute(text("DELETE FROM tramites_fts WHERE rowid = :id"), {"id": tramite_id})
    await conn.execute(text("DELETE FROM tramites_trgm WHERE rowid = :id"), {"id": tramite_id})
    if doc is None:
        return
    await conn.execute(
        text("INSERT INTO tramites_fts (rowid, name, aka, body) VALUES (:id, :name, :aka, :body)"),
        {
            "id": tramite_id,
            "name": stemmed_text(doc.name),
            "aka": stemmed_text(doc.aka),
            "body": stemmed_text(doc.body),
        },
    )
    await conn.execute(
        text("INSERT INTO tramites_trgm (rowid, doc) VALUES (:id, :doc)"),
        {"id": tramite_id, "doc": normalize(f"{doc.name} {doc.aka}")},
    )


async def search(
    conn: AsyncConnection,
    query: str,
    *,
    dependencia_id: int | None = None,
    situation: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page:
    """Published trámites matching `query`, best first; an empty query lists them by name."""
    if not WORD.search(normalize(query)):
        return await _browse(conn, dependencia_id, situation, limit, offset)
    if conn.dialect.name == "postgresql":
        found = await _pg_fulltext(conn, query, dependencia_id, situation, limit, offset)
        if found.total == 0:
            found = await _pg_typos(conn, query, dependencia_id, situation, limit, offset)
        return found
    found = await _sqlite_fulltext(conn, query, dependencia_id, situation, limit, offset)
    if found.total == 0:
        found = await _sqlite_typos(conn, query, dependencia_id, situation, limit, offset)
    return found


async def _browse(
    conn: AsyncConnection, dependencia_id: int | None, situation: str | None, limit: int, offset: int
) -> Page:
    where, params = _filters(dependencia_id, situation)
    rows = await conn.execute(
        text(
            f"SELECT t.id, count(*) OVER () FROM tramites t WHERE 1 = 1{where} "  # noqa: S608
            "ORDER BY t.search_name, t.id LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    )
    return _page(rows.all())


def _page(rows: Sequence[Row[tuple[int, int]]] | Sequence[Row[Any]]) -> Page:
    """Rows of (id, total matching): `count(*) OVER ()` gives the total with the page."""
    pairs: list[tuple[Any, ...]] = [tuple(r) for r in rows]
    return Page([int(p[0]) for p in pairs], int(pairs[0][1]) if pairs else 0)


def _pg_tsquery(query: str) -> str:
    # Raw (unstemmed) words: the Spanish configuration stems each, and ':*' makes it a prefix so a
    # topic being typed ("licen") already matches.
    words = WORD.findall(normalize(query))[:12]
    return " & ".join(f"{w}:*" for w in words)


async def _pg_fulltext(
    conn: AsyncConnection, query: str, dep: int | None, situation: str | None, limit: int, offset: int
) -> Page:
    where, params = _filters(dep, situation)
    rows = await conn.execute(
        text(
            "SELECT t.id, count(*) OVER () FROM tramites t, "  # noqa: S608
            "to_tsquery('public.es_unaccent'::regconfig, :tsq) q "
            f"WHERE t.search_document @@ q{where} "
            f"ORDER BY ts_rank({PG_WEIGHTS}, t.search_document, q) DESC, t.search_name "
            "LIMIT :limit OFFSET :offset"
        ),
        {**params, "tsq": _pg_tsquery(query), "limit": limit, "offset": offset},
    )
    return _page(rows.all())


async def _pg_typos(
    conn: AsyncConnection, query: str, dep: int | None, situation: str | None, limit: int, offset: int
) -> Page:
    where, params = _filters(dep, situation)
    norm = " ".join(search_words(query))
    rows = await conn.execute(
        text(
            "SELECT t.id, count(*) OVER () FROM tramites t "  # noqa: S608
            f"WHERE :norm <% t.search_norm{where} "
            "ORDER BY word_similarity(:norm, t.search_norm) DESC, t.search_name "
            "LIMIT :limit OFFSET :offset"
        ),
        {**params, "norm": norm, "limit": limit, "offset": offset},
    )
    return _page(rows.all())


def _fts5_match(query: str) -> str:
    return " AND ".join(f'"{term}"*' for term in search_terms(query))


async def _sqlite_fulltext(
    conn: AsyncConnection, query: str, dep: int | None, situation: str | None, limit: int, offset: int
) -> Page:
    where, params = _filters(dep, situation)
    rows = await conn.execute(
        text(
            # bm25() only works in the FTS5 query itself, hence the subquery.
            f"SELECT t.id, count(*) OVER () FROM (SELECT rowid AS rid, bm25(tramites_fts, {SQLITE_WEIGHTS}) "  # noqa: S608
            "AS score FROM tramites_fts WHERE tramites_fts MATCH :match) f JOIN tramites t ON t.id = f.rid "
            f"WHERE 1 = 1{where} ORDER BY f.score, t.search_name LIMIT :limit OFFSET :offset"
        ),
        {**params, "match": _fts5_match(query), "limit": limit, "offset": offset},
    )
    return _page(rows.all())


async def _sqlite_typos(
    conn: AsyncConnection, query: str, dep: int | None, situation: str | None, limit: int, offset: int
) -> Page:
    words = search_words(query)
    grams = sorted({w[i : i + 3] for w in words for i in range(len(w) - 2)})
    if not grams:
        return Page([], 0)
    where, params = _filters(dep, situation)
    rows = await conn.execute(
        text(
            "SELECT t.id, g.doc FROM (SELECT rowid AS rid, doc, bm25(tramites_trgm) AS score "  # noqa: S608
            "FROM tramites_trgm WHERE tramites_trgm MATCH :match) g JOIN tramites t ON t.id = g.rid "
            f"WHERE 1 = 1{where} ORDER BY g.score LIMIT :n"
        ),
        {**params, "match": " OR ".join(f'"{g}"' for g in grams), "n": TRIGRAM_CANDIDATES},
    )
    phrase = " ".join(words)
    scored = [(word_similarity(phrase, doc), int(tid)) for tid, doc in rows.all()]
    kept = sorted((s for s in scored if s[0] >= TYPO_THRESHOLD), key=lambda s: (-s[0], s[1]))
    return Page([tid for _, tid in kept[offset : offset + limit]], len(kept))


async def like_scan(conn: AsyncConnection, query: str, limit: int = 20) -> list[int]:
    """The naive search the benchmark compares with: a `LIKE '%...%'` scan over the text."""
    pattern = f"%{query.lower()}%"
    rows = await conn.execute(
        text(
            "SELECT id FROM tramites WHERE status = 'published' AND (lower(search_name) LIKE :p "
            "OR lower(search_aka) LIKE :p OR lower(search_body) LIKE :p) ORDER BY search_name LIMIT :n"
        ),
        {"p": pattern, "n": limit},
    )
    return [int(r[0]) for r in rows.all()]
