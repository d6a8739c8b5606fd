"""Retention through the CLI on a real installation: old chat transcripts, unreferenced recordings and
idempotency records go; chats that became PQRDs, PQRD records and their audit trail stay."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.operations.drill_support import cli, environment, file_pqrds, filing_form, scalar, sql
from tests.support.chat_clients import citizen, close_all
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
PQRD = {"type": "peticion", "subject": "Paz y salvo", "description": "Necesito el paz y salvo predial."}
OLD = 400 * 86400  # seconds: beyond every retention below


async def chats(url: str) -> tuple[int, int]:
    """A chat that stays a chat, and one whose citizen leaves a PQRD in it; both ended."""
    try:
        plain, plain_started = await citizen(url, name="Ana")
        for i in range(3):
            assert (await plain.call("send", {"client_id": f"a{i}", "body": f"consulta {i}"}))["ok"]
        await plain.call("end", {})
        linked, linked_started = await citizen(url, name="Lucía")
        assert (await linked.call("send", {"client_id": "b0", "body": "quiero radicar"}))["ok"]
        assert (await linked.call("leave_pqrd", PQRD)).get("radicado")
        await linked.call("end", {})
        return int(plain_started["conversation_id"]), int(linked_started["conversation_id"])
    finally:
        await close_all()


async def idempotent_filing(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        headers = {"Idempotency-Key": "retencion-1"}
        async with http.post(f"{url}/api/v1/pqrd", data=filing_form(9, []), headers=headers) as resp:
            assert resp.status == 201


def recordings(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {name: folder / f"{name}.wav" for name in ("old", "kept", "new")}
    for path in files.values():
        path.write_bytes(b"RIFF....WAVE")
    for name in ("old", "kept"):
        past = time.time() - OLD
        os.utime(files[name], (past, past))
    return files


def run(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = cli(env, "retention", "run", *args)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


async def test_retention_purges_what_it_may_and_keeps_the_pqrd_record(backend: str, tmp_path: Path) -> None:
    with environment(backend, tmp_path / "var") as env:
        for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
            assert cli(env, *command).returncode == 0
        with ServerProcess(env, log_path=tmp_path / "server.log") as server:
            plain, linked = await chats(server.url)
            await file_pqrds(server.url, 1)
            await idempotent_filing(server.url)
        files = recordings(tmp_path / "spool")
        sql(env, "INSERT INTO attachments (ticket_id, filename, content_type, size, sha256, created_at,"
                 " source_url) SELECT id, 'grabacion.wav', 'audio/wav', 0, 'x', filed_at,"
                 f" 'file://{files['kept']}' FROM tickets WHERE channel = 'chat'")  # fmt: skip
        sql(env, "UPDATE conversations SET ended_at = started_at")
        for table, column in (("conversations", "ended_at"), ("idempotency_records", "created_at")):
            aged = "- interval '400 days'" if backend == "postgres" else ", '-400 days'"
            expr = f"{column} {aged}" if backend == "postgres" else f"datetime({column}{aged})"
            sql(env, f"UPDATE {table} SET {column} = {expr}")
        tickets = scalar(env, "SELECT count(*) FROM tickets")
        events = scalar(env, "SELECT count(*) FROM ticket_events")

        env["RETENTION_IDEMPOTENCY_DAYS"] = "0"  # 0 keeps; the others are 0 by default
        assert run(env) == {"chat_messages": 0, "recordings": 0, "idempotency_records": 0, "dry_run": False}
        spool = str(files["old"].parent)
        env.update(RETENTION_CHAT_DAYS="365", RETENTION_RECORDINGS_DAYS="90", RECORDINGS_DIR=spool,
                   RETENTION_IDEMPOTENCY_DAYS="30")  # fmt: skip
        counted = run(env, "--dry-run")
        assert counted["chat_messages"] >= 3 and counted["recordings"] == 1
        assert counted["idempotency_records"] >= 1
        plain_messages = f"SELECT count(*) FROM messages WHERE conversation_id = {plain}"
        assert files["old"].exists() and scalar(env, plain_messages) >= 3  # a dry run deletes nothing
        assert run(env) == {**counted, "dry_run": False}

        assert scalar(env, plain_messages) == 0
        assert scalar(env, f"SELECT count(*) FROM messages WHERE conversation_id = {linked}") >= 1  # a PQRD's
        assert scalar(env, "SELECT count(*) FROM idempotency_records") == 0
        assert not files["old"].exists() and files["kept"].exists() and files["new"].exists()
        assert scalar(env, "SELECT count(*) FROM tickets") == tickets
        assert scalar(env, "SELECT count(*) FROM ticket_events") == events
        assert cli(env, "tickets", "verify-chain", "--all").returncode == 0
        assert run(env)["chat_messages"] == 0  # nothing left to purge


def test_a_relative_recordings_dir_is_a_configuration_error(tmp_path: Path) -> None:
    done = cli({"DATA_DIR": str(tmp_path), "RECORDINGS_DIR": "grabaciones"}, "retention", "show")
    assert done.returncode == 2 and "RECORDINGS_DIR" in done.stderr
    shown = cli({"DATA_DIR": str(tmp_path), "RECORDINGS_DIR": ""}, "retention", "show")
    assert json.loads(shown.stdout)["recordings_dir"] is None  # empty means none, never "."


async def test_the_embedded_default_runs_retention_itself_at_start(tmp_path: Path) -> None:
    with environment("sqlite", tmp_path / "var") as env:
        assert cli(env, "seed-demo", "--allow-demo-accounts").returncode == 0
        with ServerProcess(env, log_path=tmp_path / "first.log") as server:
            await idempotent_filing(server.url)
        sql(env, "UPDATE idempotency_records SET created_at = datetime(created_at, '-40 days')")
        assert scalar(env, "SELECT count(*) FROM idempotency_records") == 1
        with ServerProcess(env, log_path=tmp_path / "second.log"):  # default: 30 days
            for _ in range(75):  # the job runs just after start-up: allow 15 s on a busy machine
                if scalar(env, "SELECT count(*) FROM idempotency_records") == 0:
                    break
                await asyncio.sleep(0.2)
        assert scalar(env, "SELECT count(*) FROM idempotency_records") == 0
        assert scalar(env, "SELECT count(*) FROM tickets") == 1
