"""`contact-center backup DIR` / `restore DIR`: the database and the attachment store, together.

PostgreSQL: `pg_dump -Fc` run on a snapshot exported by a repeatable-read transaction, in which the
manifest's row counts and attachment list are read too, so the manifest describes exactly the dump.
SQLite: the online backup API copies the live file; the manifest is read from the copy. Attachments
are copied after the dump: a file is written before the row that references it commits and is never
deleted, so every attachment the dump references is in the store by then.

Restore refuses a database that has any table unless forced, checks every file of the backup against
the manifest before it touches anything, and compares the restored row counts with the manifest.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url

from contact_center.core.config import Settings
from contact_center.operations.backup_store import (
    BackupError,
    Manifest,
    check_folder,
    copy_attachments,
    copy_secret,
    restore_secret,
    sha256_of,
)

PG_FILE, SQLITE_FILE = "database.dump", "database.sqlite3"
_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
)
_STORED = "SELECT DISTINCT sha256, size FROM attachments WHERE source_url IS NULL"


def libpq_url(settings: Settings) -> str:
    """The PostgreSQL URL as pg_dump, pg_restore and asyncpg read it (no SQLAlchemy driver name)."""
    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def pg_tool(*args: str, url: str) -> tuple[int, str]:
    """Run pg_dump or pg_restore on `url`; the password goes in PGPASSWORD, not on the command line
    (where `ps` would show it). Returns the exit code and stderr."""
    parsed = make_url(url)
    env = {**os.environ, "PGPASSWORD": parsed.password} if parsed.password else None
    bare = URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database,
                      parsed.query)  # fmt: skip
    command = [*args, "-d", bare.render_as_string(hide_password=False)]
    proc = await asyncio.create_subprocess_exec(*command, env=env, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    return proc.returncode or 0, err.decode(errors="replace").strip()


def sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.effective_database_url).database or "")


def attachments_root(settings: Settings) -> Path:
    return settings.data_dir / "attachments"


# -- backup ----------------------------------------------------------------------------------------


async def backup(settings: Settings, folder: Path) -> Manifest:
    await asyncio.to_thread(_new_folder, folder)
    if settings.is_sqlite:
        engine, name = "sqlite", SQLITE_FILE
        state = await asyncio.to_thread(_sqlite_backup, sqlite_path(settings), folder / name)
    else:
        engine, name = "postgresql", PG_FILE
        state = await _pg_backup(libpq_url(settings), folder / name)
    counts, hashes, revisions = state
    store = attachments_root(settings)
    missing = await asyncio.to_thread(copy_attachments, store, folder / "attachments", hashes)
    manifest = Manifest(
        engine=engine,
        database_file=name,
        database_sha256=await asyncio.to_thread(sha256_of, folder / name),
        revisions=revisions,
        counts=counts,
        attachments={sha: size for sha, size in hashes.items() if sha not in missing},
        created_at=datetime.now(UTC).isoformat(),
        missing=missing,
        secret_key=await _secret(settings, folder),
    )
    manifest.write(folder)
    return manifest


def _new_folder(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder}: la carpeta de la copia ya existe y no está vacía")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


async def _secret(settings: Settings, folder: Path) -> bool:
    """Copy the generated key when SECRET_KEY is not set (then it lives in the operator's vault)."""
    return not settings.secret_key and await asyncio.to_thread(copy_secret, settings.data_dir, folder)


State = tuple[dict[str, int], dict[str, int], list[str]]


def _count(table: str) -> str:
    # Table names come from the catalogue (pg_tables, sqlite_master), never from a user.
    return f'SELECT count(*) FROM "{table}"'  # noqa: S608


async def _pg_backup(url: str, target: Path) -> State:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            options = ["-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(target)]
            dump = asyncio.ensure_future(pg_tool("pg_dump", *options, url=url))
            state = await _pg_state(conn)  # the same snapshot pg_dump reads
            code, err = await dump
    finally:
        await conn.close()
    if code != 0:
        raise BackupError(f"pg_dump falló ({code}): {err}")
    return state


async def _pg_state(conn: Any) -> State:
    tables = [r["tablename"] for r in await conn.fetch(_PG_TABLES)]
    counts = {t: int(await conn.fetchval(_count(t))) for t in tables}
    stored = await conn.fetch(_STORED) if "attachments" in counts else []
    hashes = {r["sha256"]: int(r["size"]) for r in stored}
    revisions = [r[0] for r in await conn.fetch("SELECT version_num FROM alembic_version")] if (
        "alembic_version" in counts
    ) else []  # fmt: skip
    return counts, hashes, sorted(revisions)


def _sqlite_backup(source: Path, target: Path) -> State:
    if not source.is_file():
        raise BackupError(f"{source}: no existe la base de datos SQLite")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    return _sqlite_state(target)


def _sqlite_state(path: Path) -> State:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(_SQLITE_TABLES)]
        counts = {t: int(conn.execute(_count(t)).fetchone()[0]) for t in tables}
        hashes = {r[0]: int(r[1]) for r in conn.execute(_STORED)} if "attachments" in counts else {}
        revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] if (
            "alembic_version" in counts
        ) else []  # fmt: skip
    finally:
        conn.close()
    return counts, hashes, sorted(revisions)


# -- restore ---------------------------------------------------------------------------------------


async def restore(settings: Settings, folder: Path, *, force: bool = False) -> Manifest:
    manifest = Manifest.read(folder)
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.engine != engine:
        raise BackupError(f"la copia es de {manifest.engine} y DATABASE_URL apunta a {engine}")
    await asyncio.to_thread(check_folder, folder, manifest)  # nothing is touched before this passes
    if manifest.secret_key and not settings.secret_key:
        await asyncio.to_thread(restore_secret, folder, settings.data_dir, force=force)
    dump = folder / manifest.database_file
    if engine == "sqlite":
        counts = await asyncio.to_thread(_sqlite_restore, dump, sqlite_path(settings), force)
    else:
        counts = await _pg_restore(libpq_url(settings), dump, force)
    bad = await asyncio.to_thread(
        copy_attachments, folder / "attachments", attachments_root(settings), manifest.attachments
    )
    if bad:
        raise BackupError(f"no se pudieron copiar {len(bad)} adjunto(s): {', '.join(bad[:5])}")
    differ = {t: (n, counts.get(t)) for t, n in manifest.counts.items() if counts.get(t) != n}
    if differ:
        raise BackupError(f"las filas restauradas no coinciden con el manifiesto: {differ}")
    return manifest


async def _pg_restore(url: str, dump: Path, force: bool) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        if await conn.fetch(_PG_TABLES) and not force:
            raise BackupError("la base de datos de destino no está vacía: use una base nueva o --force")
    finally:
        await conn.close()
    clean = ["--clean", "--if-exists"] if force else []
    code, err = await pg_tool(
        "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *clean, str(dump), url=url
    )
    if code != 0:
        raise BackupError(f"pg_restore falló ({code}): {err}")
    conn = await asyncpg.connect(url)
    try:
        counts, _, _ = await _pg_state(conn)
    finally:
        await conn.close()
    return counts


def _sqlite_restore(source: Path, target: Path, force: bool) -> dict[str, int]:
    if target.is_file() and not force:
        with sqlite3.connect(target) as existing:
            tables = existing.execute(_SQLITE_TABLES).fetchall()
        existing.close()
        if tables:
            raise BackupError(f"{target}: la base de datos de destino no está vacía: use --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    counts, _, _ = _sqlite_state(target)
    return counts
