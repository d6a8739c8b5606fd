"""An administrator changes the escalation policy (API and CLI) and the open tickets follow it;
which status changes reach the citizen is a setting too."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.clock import BOGOTA, FakeClock
from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services import escalation_policy
from contact_center.pqrd.services.tickets import Actor
from contact_center.seed import seed_demo
from tests.conftest import TEST_SECRET, AppFactory, login
from tests.integration.escalation_support import (
    escalation_events,
    eventually,
    file_salud_ticket,
    load_ticket,
    official_id,
)
from tests.integration.test_pqrd_api import filing

POLICY = "/api/v1/admin/escalation-policy"
NOTICES = "/api/v1/admin/citizen-notices"
AGENT = "agente2@demo.pasto.gov.co"  # Salud
CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "contact-center"
OFF = {"completion_request": None, "forwarding": None, "extension_notice": None}
# Filed Monday 2026-11-23, due 2026-12-15; "1 business day left" is Monday 2026-12-14.
ONE_DAY_LEFT = datetime(2026, 12, 14, 8, tzinfo=BOGOTA)
FORWARDING = datetime(2026, 11, 30, 8, tzinfo=BOGOTA)  # the default policy's first point


async def _app(make_client: AppFactory, make_settings: Callable[..., Settings]) -> TestClient[Any, Any]:
    client = await make_client(make_settings(escalation_sweep_seconds=0.05, jobs_retry_base_seconds=0.01))
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _headers(client: TestClient[Any, Any], email: str = "admin@demo.pasto.gov.co") -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client, email)}"}


async def test_a_new_policy_reschedules_every_open_ticket_in_batches_and_then_fires(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
) -> None:
    monkeypatch.setattr(escalation_policy, "RESCHEDULE_BATCH", 2)  # 3 open tickets: two batches
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    agent = await official_id(uows, AGENT)
    open_ids = [await file_salud_ticket(uows, agent) for _ in range(3)]
    answered = await file_salud_ticket(uows, agent)
    async with uows() as uow:
        ticket = await uow.session.get(ticket_model(), answered)
        await ticket_actions.answer(uow, ticket, Actor("official", agent), text="Entregado.")
        await uow.commit()
    assert (await load_ticket(uows, open_ids[0])).next_escalation_at == FORWARDING
    admin = await _headers(client)

    body = {"term_used": [], "days_left": [{"days": 1, "tier": "supervisor"}], "statutory": OFF}
    resp = await client.put(POLICY, json=body, headers=admin)
    assert resp.status == 200, await resp.text()
    changed = await resp.json()
    assert changed["revision"] == 1 and changed["term_used"] == [] and changed["statutory"] == OFF
    assert changed["overdue"] == "atencion_ciudadano" and changed["notify_hour"] == 8  # kept

    async def rescheduled() -> bool:
        progress = (await (await client.get(POLICY, headers=admin)).json())["reschedule"]
        return bool(progress["done"]) and progress["tickets"] == 3 and progress["revision"] == 1

    await eventually(rescheduled, what="the open tickets rescheduled")
    for ticket_id in open_ids:
        assert (await load_ticket(uows, ticket_id)).next_escalation_at == ONE_DAY_LEFT
    assert (await load_ticket(uows, answered)).next_escalation_at is None

    clock.set(ONE_DAY_LEFT)

    async def fired() -> bool:
        return all([await escalation_events(uows, t) for t in open_ids])

    await eventually(fired, what="the new point fired")
    event = (await escalation_events(uows, open_ids[0]))[0]
    assert (event["point"], event["tier"], event["reason"]) == ("left_1", 2, "Quedan 1 días hábiles")
    assert (await load_ticket(uows, open_ids[0])).next_escalation_at == datetime(
        2026, 12, 16, 8, tzinfo=BOGOTA
    )


def ticket_model() -> Any:
    from contact_center.core.db.models import Ticket

    return Ticket


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"term_used": [{"share": 0, "tier": "assignee"}]}, "validation_error"),
        ({"term_used": [{"share": 1.5, "tier": "assignee"}]}, "validation_error"),
        ({"days_left": [{"days": -1, "tier": "assignee"}]}, "validation_error"),
        ({"overdue": "alcalde"}, "validation_error"),
        ({"notify_hour": 24}, "validation_error"),
        ({"threshold": 0.5}, "validation_error"),
        ({"overdue": None}, "unknown_tier"),
        (
            {"term_used": [{"share": 0.5, "tier": "assignee"}, {"share": 0.5, "tier": "supervisor"}]},
            "duplicate_threshold",
        ),
    ],
)
async def test_bad_policies_are_refused_with_a_clear_error_and_change_nothing(
    seeded: TestClient[Any, Any], body: dict[str, Any], code: str
) -> None:
    admin = await _headers(seeded)
    before = await (await seeded.get(POLICY, headers=admin)).json()
    resp = await seeded.put(POLICY, json=body, headers=admin)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == code
    assert await (await seeded.get(POLICY, headers=admin)).json() == before


async def test_only_administrators_change_the_policy_and_supervisors_read_it(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    supervisor = await _headers(seeded, "supervisor@demo.pasto.gov.co")
    read = await seeded.get(POLICY, headers=supervisor)
    assert read.status == 200
    defaults = await read.json()
    assert defaults["revision"] == 0 and defaults["reschedule"] is None
    assert [t["share"] for t in defaults["term_used"]] == [0.5, 0.8]
    assert defaults["statutory"] == {
        "completion_request": "assignee",
        "forwarding": "assignee",
        "extension_notice": "supervisor",
    }
    refused = await seeded.put(POLICY, json={"notify_hour": 7}, headers=supervisor)
    assert refused.status == 403
    seeded.session.cookie_jar.clear()  # login() also left a session cookie
    assert (await seeded.get(POLICY)).status == 401
    admin = await _headers(seeded)
    assert (await (await seeded.put(POLICY, json={"notify_hour": 7}, headers=admin)).json())["revision"] == 1
    reset = await (await seeded.delete(POLICY, headers=admin)).json()
    assert reset["revision"] == 2 and reset["notify_hour"] == 8


async def _cli(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin",
    }
    return await asyncio.to_thread(
        subprocess.run, [str(CLI), "escalation", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_the_cli_shows_and_sets_the_policy_and_reschedules_open_tickets(
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    database_url: str,
    tmp_path: Path,
    backend: str,
) -> None:
    client = await _app(make_client, make_settings)
    uows = client.app[UOW]
    ticket_id = await file_salud_ticket(uows, await official_id(uows, AGENT))
    shown = await _cli(database_url, tmp_path, "show")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["revision"] == 0
    bad = await _cli(database_url, tmp_path, "set", "--term-used", "1.5=assignee")
    assert bad.returncode == 1 and "(invalid_threshold)" in bad.stderr
    done = await _cli(
        database_url,
        tmp_path,
        "set",
        "--term-used",
        "",
        "--days-left",
        "1=supervisor",
        "--completion-request",
        "off",
        "--forwarding",
        "off",
        "--extension-notice",
        "off",
    )
    assert done.returncode == 0, done.stderr
    policy = json.loads(done.stdout.splitlines()[0])
    assert policy["revision"] == 1 and policy["days_left"] == [{"days": 1, "tier": "supervisor"}]
    assert "radicados abiertos reprogramados: 1" in done.stdout
    assert (await load_ticket(uows, ticket_id)).next_escalation_at == ONE_DAY_LEFT
    notices = await _cli(database_url, tmp_path, "notices", "set", "respondido", "radicado")
    assert notices.returncode == 0 and notices.stdout.strip() == "radicado respondido"
    unknown = await _cli(database_url, tmp_path, "notices", "set", "archivado")
    assert unknown.returncode == 1 and "(unknown_status)" in unknown.stderr


async def _outbound_count(client: TestClient[Any, Any]) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OutboundMessage)) or 0)


async def _file_and_assign(client: TestClient[Any, Any], admin: dict[str, str]) -> None:
    resp = await client.post("/api/v1/pqrd", json=filing())
    assert resp.status == 201, await resp.text()
    radicado = (await resp.json())["radicado"]
    assigned = await client.post(f"/api/v1/tickets/{radicado}/assign", json={}, headers=admin)
    assert assigned.status == 200, await assigned.text()


async def test_which_status_changes_notify_the_citizen_is_an_administrators_setting(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    admin = await _headers(seeded)
    defaults = await (await seeded.get(NOTICES, headers=admin)).json()
    assert set(defaults["statuses"]) == {
        "radicado",
        "suspendido",
        "prorrogado",
        "trasladado",
        "respondido",
        "desistido",
    }
    await _file_and_assign(seeded, admin)
    assert await _outbound_count(seeded) == 1  # the acuse de recibo; the assignment is internal

    bad = await seeded.put(NOTICES, json={"statuses": ["archivado"]}, headers=admin)
    assert bad.status == 400
    supervisor = await _headers(seeded, "supervisor@demo.pasto.gov.co")
    assert (await seeded.put(NOTICES, json={"statuses": []}, headers=supervisor)).status == 403
    resp = await seeded.put(NOTICES, json={"statuses": ["asignado", "respondido"]}, headers=admin)
    assert (await resp.json())["statuses"] == ["asignado", "respondido"]
    await _file_and_assign(seeded, admin)  # no acuse by e-mail now, but the assignment is told
    async with seeded.app[UOW]() as uow:
        rows = (
            await uow.session.execute(
                select(OutboundMessage.channel, OutboundMessage.body).order_by(OutboundMessage.id)
            )
        ).all()
    assert [channel for channel, _ in rows] == ["email", "email", "sms"]  # the citizen gave a phone
    assert "2026000001" in rows[0][1] and all(
        "2026000002" in body and "Asignado" in body for _, body in rows[1:]
    )
