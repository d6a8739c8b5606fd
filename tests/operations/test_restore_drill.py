"""The restore drill: PQRDs with attachments and chats filed through HTTP and socket.io, backed up
while the service runs, restored into an empty database and an empty data folder, then checked:
row counts, every attachment's SHA-256, the audit trail's hash chain, and the citizen's downloads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.operations.drill_support import (
    PNG,
    chat,
    cli,
    counts,
    download,
    environment,
    file_pqrds,
    pdf,
    store_hashes,
)
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
PQRDS, MESSAGES = 4, 6


async def test_backup_restores_into_an_empty_installation(backend: str, tmp_path: Path) -> None:
    with environment(backend, tmp_path / "a") as source, environment(backend, tmp_path / "b") as target:
        for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
            assert cli(source, *command).returncode == 0
        with ServerProcess(source, log_path=tmp_path / "source.log") as server:
            filed = await file_pqrds(server.url, PQRDS)
            await chat(server.url, MESSAGES)
            await chat(server.url, MESSAGES)
            done = cli(source, "backup", str(tmp_path / "copy"))  # online: the service keeps running
        assert done.returncode == 0, done.stderr
        before = counts(source)
        assert before["tickets"] == PQRDS and before["attachments"] == 2 * PQRDS
        assert before["messages"] >= 2 * MESSAGES
        manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
        assert len(manifest["attachments"]) == PQRDS + 1  # the shared PNG is stored once

        restored = cli(target, "restore", str(tmp_path / "copy"))
        assert restored.returncode == 0, restored.stderr
        assert counts(target) == before
        assert store_hashes(tmp_path / "b") == store_hashes(tmp_path / "a")
        assert all(name == digest for name, digest in store_hashes(tmp_path / "b").items())
        chain = cli(target, "tickets", "verify-chain", "--all")
        assert chain.returncode == 0 and f"{PQRDS} radicado(s)" in chain.stdout, chain.stdout

        with ServerProcess(target, log_path=tmp_path / "target.log") as server:
            for n, one in enumerate(filed):  # the citizens' access codes still open their files
                assert sorted(await download(server.url, one)) == sorted([pdf(n), PNG])
            later = await file_pqrds(server.url, 1)  # sequences restored: a new radicado, no clash
            assert later[0]["radicado"] not in {one["radicado"] for one in filed}

        again = cli(target, "restore", str(tmp_path / "copy"))
        assert again.returncode == 1 and "no está vacía" in again.stderr
        forced = cli(target, "restore", str(tmp_path / "copy"), "--force")  # back to the backup's state
        assert forced.returncode == 0, forced.stderr
        assert counts(target) == before
        assert cli(target, "tickets", "verify-chain", "--all").returncode == 0


def test_a_damaged_backup_is_refused_before_anything_is_written(backend: str, tmp_path: Path) -> None:
    with environment(backend, tmp_path / "a") as source, environment(backend, tmp_path / "b") as target:
        assert cli(source, "db", "upgrade").returncode == 0
        assert cli(source, "seed-demo", "--allow-demo-accounts").returncode == 0
        assert cli(source, "backup", str(tmp_path / "copy")).returncode == 0
        refused = cli(source, "backup", str(tmp_path / "copy"))
        assert refused.returncode == 1 and "no está vacía" in refused.stderr  # never overwrites a copy
        manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
        dump = tmp_path / "copy" / manifest["database_file"]
        dump.write_bytes(dump.read_bytes() + b"x")
        restored = cli(target, "restore", str(tmp_path / "copy"))
        assert restored.returncode == 1 and "SHA-256" in restored.stderr
        assert not (tmp_path / "b" / "attachments").exists()
        if backend == "sqlite":
            assert not (tmp_path / "b" / "pasto195.db").exists()
        else:
            assert cli(target, "tickets", "verify-chain", "--all").returncode == 1  # still no schema
