"""Filing reads the legal clock from a per-process cache: an administrator's change applies to the
very next filing in the same process, and reaches another process within the cache's TTL."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from contact_center.pqrd.services.config_cache import TTL_SECONDS
from tests.conftest import TEST_SECRET, login
from tests.support.server import CLI

FILING: dict[str, Any] = {
    "type": "peticion",
    "subject": "Hueco en la carrera 27",
    "description": "Hay un hueco profundo.",
    "anonymous": True,
}
DEADLINE = "/api/v1/pqrd/deadline"
FILED_AT = {"type": "peticion", "filed_at": "2026-11-23T10:00:00-05:00"}  # the fake clock's Monday


async def _due_date(client: TestClient[Any, Any]) -> str:
    resp = await client.post("/api/v1/pqrd", json=FILING)
    assert resp.status == 201, await resp.text()
    due: str = (await resp.json())["due_date"]
    return due


async def test_an_admin_change_applies_to_the_next_filing_at_once(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    admin = {"Authorization": f"Bearer {await login(seeded, 'admin@demo.pasto.gov.co')}"}
    assert await _due_date(seeded) == "2026-12-15"  # 15 business days, 8 December a holiday
    added = await seeded.post(
        "/api/v1/admin/closures", json={"day": "2026-12-01", "reason": "Decreto 0195"}, headers=admin
    )
    assert added.status == 201
    assert await _due_date(seeded) == "2026-12-16"  # one business day later, with no wait
    term = await seeded.put("/api/v1/admin/pqrd-terms/peticion", json={"term_days": 10}, headers=admin)
    assert term.status == 200, await term.text()
    assert await _due_date(seeded) == "2026-12-09"
    removed = await seeded.delete("/api/v1/admin/closures/2026-12-01", headers=admin)
    assert removed.status == 200
    assert await _due_date(seeded) == "2026-12-07"


async def test_a_change_from_another_process_is_seen_within_the_ttl(
    backend: str, seeded: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    before = await (await seeded.get(DEADLINE, params=FILED_AT)).json()  # cached from here on
    assert before["due_date"] == "2026-12-15"
    env = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "DATA_DIR": str(tmp_path)}
    added = await asyncio.to_thread(
        subprocess.run,
        [str(CLI), "calendar", "closures", "add", "2026-12-01", "Decreto", "0195"],
        env={**env, "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    changed_at = time.monotonic()
    while True:
        now = await (await seeded.get(DEADLINE, params=FILED_AT)).json()
        if now["due_date"] == "2026-12-16":
            break
        assert time.monotonic() - changed_at < TTL_SECONDS + 1.0, "the cached clock was never refreshed"
        await asyncio.sleep(0.1)
