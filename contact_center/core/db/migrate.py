"""Alembic driven from code, so `contact-center db upgrade` needs no alembic.ini on disk.

Features add their tables as branches of the revision graph; "heads" upgrades every branch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import migrations
from contact_center.core.db import DatabaseNotReady

MIGRATIONS_DIR = Path(migrations.__file__).parent
UPGRADE_HINT = "ejecute `contact-center db upgrade`"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def _ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(database_url: str, revision: str = "heads") -> None:
    _ensure_sqlite_dir(database_url)
    with _one_line_errors():
        command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    with _one_line_errors():
        command.downgrade(alembic_config(database_url), revision)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Alembic's own refusals (an unknown revision asked for or found in the database) as one line."""
    try:
        yield
    except CommandError as exc:
        raise DatabaseNotReady(f"no se pudo migrar la base de datos: {exc}") from None


async def upgrade_async(database_url: str, revision: str = "heads") -> None:
    """Run from inside an event loop: Alembic's env.py starts a loop of its own, so use a thread."""
    await asyncio.to_thread(upgrade, database_url, revision)


async def require_heads(database_url: str, *, older_ok: bool = False) -> None:
    """Raise `DatabaseNotReady` unless the database is at every head of this code's migrations
    (with `older_ok`, unless it holds a revision this code does not know: it is about to upgrade).

    `serve`, `worker` and `seed-demo` check first, so an unmigrated or older PostgreSQL stops them
    with one line instead of a traceback from the first query that meets a missing table.
    """
    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = await _current_revisions(database_url)
    unknown = current - {revision.revision for revision in script.walk_revisions()}
    if unknown:
        raise DatabaseNotReady(
            "la base de datos tiene migraciones que esta versión no conoce "
            f"({', '.join(sorted(unknown))}): ¿la migró una versión más nueva?"
        )
    if older_ok:
        return
    # alembic_version keeps no row for a branch another one depends on: compare what is applied.
    applied = {r.revision for r in script.iterate_revisions(tuple(current), "base")} if current else set()
    if not set(script.get_heads()) <= applied:
        state = "sin migrar" if not current else "con un esquema anterior"
        raise DatabaseNotReady(f"la base de datos no está al día ({state}): {UPGRADE_HINT}")


async def _current_revisions(database_url: str) -> set[str]:
    if _sqlite_file_missing(database_url):
        return set()  # do not create an empty file just to look into it
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_revisions_of)
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseNotReady(f"no se pudo abrir la base de datos: {_first_line(exc)}") from None
    finally:
        await engine.dispose()


def _sqlite_file_missing(database_url: str) -> bool:
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and bool(url.database) and not Path(str(url.database)).exists()


def _revisions_of(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
