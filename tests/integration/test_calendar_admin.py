"""Administrators keep the business calendar and the legal clock: closure days, terms and settings,
through the admin API and the CLI; bad input is a clear 400 and changes nothing."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import TEST_SECRET, login
from tests.support.server import CLI

CLOSURES, TERMS = "/api/v1/admin/closures", "/api/v1/admin/pqrd-terms"
SETTINGS = "/api/v1/admin/legal-clock/settings"


async def _auth(client: TestClient[Any, Any], email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client, email)}"}


async def test_closures_are_added_listed_and_removed_by_an_admin(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    admin = await _auth(seeded, "admin@demo.pasto.gov.co")
    add = await seeded.post(
        CLOSURES, json={"day": "2027-01-05", "reason": "Carnaval (Decreto 0001)"}, headers=admin
    )
    assert add.status == 201 and await add.json() == {
        "day": "2027-01-05",
        "reason": "Carnaval (Decreto 0001)",
    }
    again = await seeded.post(CLOSURES, json={"day": "2027-01-05", "reason": "otra vez"}, headers=admin)
    assert again.status == 409 and (await again.json())["error"]["code"] == "closure_exists"
    listed = await (await seeded.get(f"{CLOSURES}?year=2027", headers=admin)).json()
    assert listed["closures"] == [{"day": "2027-01-05", "reason": "Carnaval (Decreto 0001)"}]
    assert (await (await seeded.get(f"{CLOSURES}?year=2026", headers=admin)).json())["closures"] == []
    removed = await seeded.delete(f"{CLOSURES}/2027-01-05", headers=admin)
    assert removed.status == 200 and (await removed.json())["closures"] == []
    missing = await seeded.delete(f"{CLOSURES}/2027-01-05", headers=admin)
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "closure_not_found"


async def test_bad_closures_are_refused_with_clear_codes(seeded: TestClient[Any, Any]) -> None:
    admin = await _auth(seeded, "admin@demo.pasto.gov.co")
    cases = [
        ({"day": "2026-12-05", "reason": "sábado"}, "not_a_weekday"),
        ({"day": "2026-12-08", "reason": "festivo"}, "already_a_holiday"),
        ({"day": "2026-12-09", "reason": "   "}, "reason_required"),
        ({"day": "9 de diciembre", "reason": "x"}, "validation_error"),
    ]
    for body, code in cases:
        resp = await seeded.post(CLOSURES, json=body, headers=admin)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code, body
    bad_path = await seeded.delete(f"{CLOSURES}/mañana", headers=admin)
    assert bad_path.status == 400 and (await bad_path.json())["error"]["code"] == "invalid_date"
    assert (await (await seeded.get(CLOSURES, headers=admin)).json())["closures"] == []


async def test_only_admins_change_the_calendar_supervisors_read_it(seeded: TestClient[Any, Any]) -> None:
    sup = await _auth(seeded, "supervisor@demo.pasto.gov.co")
    agent = await _auth(seeded, "agente1@demo.pasto.gov.co")
    resp = await seeded.post(CLOSURES, json={"day": "2027-01-05", "reason": "x"}, headers=sup)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "role_required"
    assert (await seeded.get(TERMS, headers=sup)).status == 200
    assert (await seeded.get(SETTINGS, headers=agent)).status == 403


async def test_terms_are_overridden_validated_and_reset(backend: str, seeded: TestClient[Any, Any]) -> None:
    admin = await _auth(seeded, "admin@demo.pasto.gov.co")
    terms = {t["type"]: t for t in (await (await seeded.get(TERMS, headers=admin)).json())["terms"]}
    assert terms["consulta"] == {
        "type": "consulta",
        "term_days": 30,
        "default_days": 30,
        "overridden": False,
        "source": "Ley 1755 de 2015, art. 14 num. 2",
    }
    put = await seeded.put(f"{TERMS}/sugerencia", json={"term_days": 20}, headers=admin)
    assert (await put.json())["term_days"] == 20 and (await put.json())["overridden"] is True
    for path, body, code in [
        ("tutela", {"term_days": 10}, "unknown_pqrd_type"),
        ("queja", {"term_days": 0}, "validation_error"),
        ("queja", {"term_days": "10"}, "validation_error"),
        ("queja", {"term_days": 91}, "validation_error"),
    ]:
        resp = await seeded.put(f"{TERMS}/{path}", json=body, headers=admin)
        assert resp.status == 400 and (await resp.json())["error"]["code"] == code
    reset = await (await seeded.delete(f"{TERMS}/sugerencia", headers=admin)).json()
    assert reset["term_days"] == 15 and reset["overridden"] is False


async def test_settings_change_the_clock_and_bad_values_change_nothing(
    backend: str, seeded: TestClient[Any, Any]
) -> None:
    admin = await _auth(seeded, "admin@demo.pasto.gov.co")
    defaults = await (await seeded.get(SETTINGS, headers=admin)).json()
    assert defaults["extension_mode"] == "from_original_start" and defaults["resume_mode"] == "remaining"
    assert defaults["cutoff_hour"] is None and defaults["completion_request_days"] == 10
    changed = await seeded.put(SETTINGS, json={"cutoff_hour": 17, "resume_mode": "restart"}, headers=admin)
    assert changed.status == 200 and (await changed.json())["cutoff_hour"] == 17
    # Filed at 17:30 in Bogotá on Monday: received on Tuesday with the cut-off hour.
    deadline = await (
        await seeded.get(
            "/api/v1/pqrd/deadline", params={"type": "peticion", "filed_at": "2026-11-23T17:30:00-05:00"}
        )
    ).json()
    assert deadline["received_on"] == "2026-11-24" and deadline["due_date"] == "2026-12-16"
    for body in ({"resume_mode": "whenever"}, {"cutoff_hour": 24}, {"extension_mode": None}, {"nope": 1}):
        resp = await seeded.put(SETTINGS, json=body, headers=admin)
        assert resp.status == 400, body
    after = await (await seeded.get(SETTINGS, headers=admin)).json()
    assert after == {**defaults, "cutoff_hour": 17, "resume_mode": "restart"}
    unset = await seeded.put(SETTINGS, json={"cutoff_hour": None}, headers=admin)
    assert (await unset.json())["cutoff_hour"] is None


async def _cli(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin",
    }
    return await asyncio.to_thread(
        subprocess.run, [str(CLI), "calendar", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_the_cli_keeps_closures_terms_and_settings(
    backend: str, client: TestClient[Any, Any], database_url: str, tmp_path: Path
) -> None:
    add = await _cli(database_url, tmp_path, "closures", "add", "2027-01-05", "Carnaval", "de", "Negros")
    assert add.returncode == 0, add.stderr
    listed = await _cli(database_url, tmp_path, "closures", "list", "--year", "2027")
    assert listed.stdout.strip() == "2027-01-05  Carnaval de Negros"
    weekend = await _cli(database_url, tmp_path, "closures", "add", "2027-01-02", "sábado")
    assert weekend.returncode == 1 and "(not_a_weekday)" in weekend.stderr
    term = await _cli(database_url, tmp_path, "terms", "set", "queja", "12")
    assert term.returncode == 0 and "queja" in term.stdout and "12 días hábiles" in term.stdout
    bad = await _cli(database_url, tmp_path, "settings", "set", "resume_mode", "whenever")
    assert bad.returncode == 1 and "(invalid_setting)" in bad.stderr
    ok = await _cli(database_url, tmp_path, "settings", "set", "resume_mode", "restart")
    assert ok.returncode == 0 and ok.stdout.strip() == 'resume_mode = "restart"'
    resp = await client.get(
        "/api/v1/pqrd/deadline", params={"type": "queja", "filed_at": "2027-01-04T09:00:00-05:00"}
    )
    # 12 business days from Monday 4 January 2027, skipping the 5th (closure) and the 11th (Reyes).
    assert (await resp.json())["due_date"] == "2027-01-22"
    removed = await _cli(database_url, tmp_path, "closures", "remove", "2027-01-05")
    assert removed.returncode == 0 and "eliminado" in removed.stdout
