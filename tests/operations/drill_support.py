"""A city's worth of data filed through the public interfaces, and readers of a restored copy."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import services
from tests.support.chat_clients import citizen, close_all
from tests.support.server import ServerProcess

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf(n: int) -> bytes:
    return PDF + f"% acta {n}\n".encode()


def filing_form(n: int, files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    fields = {
        "type": "peticion",
        "subject": f"Alumbrado público en la calle {n}",
        "description": "La luminaria de la esquina lleva una semana apagada y la calle está oscura.",
        "citizen.name": f"Ciudadana {n}",
        "citizen.document_type": "CC",
        "citizen.document_number": f"108{n:07d}",
        "citizen.email": f"ciudadana{n}@example.org",
        "data_consent": "true",
        "notify_by_email": "false",
    }
    for name, value in fields.items():
        data.add_field(name, value)
    for filename, content in files:
        data.add_field("files", content, filename=filename, content_type="application/octet-stream")
    return data


async def file_pqrds(url: str, count: int) -> list[dict[str, Any]]:
    """`count` PQRDs with two files each (one shared by all: stored once), via POST /api/v1/pqrd."""
    filed = []
    async with aiohttp.ClientSession() as http:
        for n in range(count):
            form = filing_form(n, [(f"acta-{n}.pdf", pdf(n)), ("plano.png", PNG)])
            async with http.post(f"{url}/api/v1/pqrd", data=form) as resp:
                assert resp.status == 201, await resp.text()
                filed.append(await resp.json())
    return filed


async def chat(url: str, messages: int) -> int:
    """A citizen chat with `messages` messages, ended by the citizen; its conversation id."""
    try:
        person, started = await citizen(url, name="Ana", topic="atencion_general")
        for i in range(messages):
            assert (await person.call("send", {"client_id": f"c{i}", "body": f"mensaje {i}"}))["ok"]
        await person.call("end", {})
        return int(started["conversation_id"])
    finally:
        await close_all()


async def download(url: str, filed: dict[str, Any]) -> list[bytes]:
    """Every attachment of a PQRD as its citizen downloads it (access code)."""
    params = {"access_code": filed["access_code"]}
    base = f"{url}/api/v1/pqrd/{filed['radicado']}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base, params=params) as resp:
            assert resp.status == 200, await resp.text()
            listed = (await resp.json())["attachments"]
        out = []
        for item in listed:
            async with http.get(f"{base}/attachments/{item['id']}", params=params) as resp:
                assert resp.status == 200
                out.append(await resp.read())
    return out


def store_hashes(data_dir: Path) -> dict[str, str]:
    """name -> SHA-256 of the bytes, for every file of DATA_DIR/attachments."""
    root = data_dir / "attachments"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


TABLES = ("tickets", "ticket_events", "attachments", "conversations", "messages", "citizens", "officials")


def counts(env: dict[str, str]) -> dict[str, int]:
    if "DATABASE_URL" in env:
        return services.run_sync(_pg_counts(env["DATABASE_URL"]))
    conn = sqlite3.connect(Path(env["DATA_DIR"]) / "pasto195.db")
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


async def _pg_counts(dsn: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
    finally:
        await conn.close()


@contextmanager
def environment(backend: str, data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of one installation: a fresh PostgreSQL database or a SQLite file."""
    env = {"DATA_DIR": str(data_dir), "LOG_FORMAT": "console", "JOBS": "inline"}
    if backend == "sqlite":
        yield env  # the embedded default: SECRET_KEY generated into DATA_DIR/secret_key
        return
    env["SECRET_KEY"] = "drill-secret-key-of-at-least-32-bytes"
    name = services.unique_name("p195_drill")
    env["DATABASE_URL"] = services.run_sync(services.create_database(name))
    try:
        yield env
    finally:
        services.run_sync(services.drop_database(name))


def cli(env: dict[str, str], *args: str) -> Any:
    return ServerProcess(env).run_cli(*args)


def sql(env: dict[str, str], statement: str) -> None:
    """One statement straight on the installation's database (to age rows, as time would)."""
    if "DATABASE_URL" in env:
        services.run_sync(_pg_execute(env["DATABASE_URL"], statement))
        return
    conn = sqlite3.connect(Path(env["DATA_DIR"]) / "pasto195.db")
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


async def _pg_execute(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def scalar(env: dict[str, str], query: str) -> Any:
    if "DATABASE_URL" in env:
        return services.run_sync(_pg_scalar(env["DATABASE_URL"], query))
    conn = sqlite3.connect(Path(env["DATA_DIR"]) / "pasto195.db")
    try:
        return conn.execute(query).fetchone()[0]
    finally:
        conn.close()


async def _pg_scalar(dsn: str, query: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()
