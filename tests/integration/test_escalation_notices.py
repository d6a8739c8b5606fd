"""What people read about a PQRD's deadlines (issue 17): notices sent when the status changes (not at the
next sweep), the traslado naming the receiving authority, Spanish words and dates in the citizen's notices
and the officials' alerts, and the admin API naming the dependencias with nobody to escalate to.

The sweep runs once an hour here, so anything that arrives within seconds was sent at commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from contact_center.core.clock import FakeClock
from contact_center.core.config import Settings
from contact_center.core.db.models import Citizen, CitizenIdentity, Official
from contact_center.core.http.keys import UOW
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.outbound.models import OutboundMessage
from contact_center.seed import seed_demo
from tests.conftest import AppFactory, login
from tests.integration import mail_support
from tests.integration.escalation_support import (
    escalation_events,
    eventually,
    file_salud_ticket,
    load_ticket,
    official_id,
    request_completion,
)
from tests.integration.mail_support import Inbox

smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp
smtp = mail_support.smtp

EMAIL = "ana.perez@example.co"
AGENT = "agente2@demo.pasto.gov.co"  # Salud
SUPERVISOR = "supervisor@demo.pasto.gov.co"  # Oficina de Atención al Ciudadano
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


async def _app(
    make_client: AppFactory, make_settings: Callable[..., Settings], port: int | None = None
) -> TestClient[Any, Any]:
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port} if port else {}
    client = await make_client(
        make_settings(escalation_sweep_seconds=3600, jobs_retry_base_seconds=0.05, **mail)
    )
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


async def _citizen(uows: UnitOfWorkFactory) -> int:
    async with uows() as uow:
        citizen = Citizen(name="Ana Pérez", created_at=uow.clock.now())
        uow.session.add(citizen)
        await uow.session.flush()
        uow.session.add(
            CitizenIdentity(citizen_id=citizen.id, kind="email", value=EMAIL, created_at=uow.clock.now())
        )
        await uow.commit()
        return citizen.id


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


async def _mail_to(inbox: Inbox, address: str, count: int = 1) -> list[str]:
    async def arrived() -> bool:
        return len([m for m in inbox.messages if m["To"] == address]) >= count

    await eventually(arrived, within=10, what=f"{count} e-mail(s) to {address}")
    return [_text(m) for m in inbox.messages if m["To"] == address]


async def test_a_status_notice_is_sent_when_the_status_changes_with_its_deadline_in_spanish(
    backend: str,
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    client = await _app(make_client, make_settings, port)
    uows = client.app[UOW]
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent, citizen_id=await _citizen(uows), notify_by_email=True)
    await request_completion(uows, ticket_id, agent, reason="Adjunte la fórmula médica vigente.")
    (body,) = await _mail_to(inbox, EMAIL)  # seconds, while the next sweep is an hour away
    # Asked on Monday 23 November 2026: a month to complete (art. 17), in words, not 2026-12-23.
    assert "Tiene plazo hasta el miércoles 23 de diciembre de 2026" in body, body
    assert not ISO_DATE.search(body), body
    assert (await load_ticket(uows, ticket_id)).status == "suspendido"


async def test_the_traslado_notice_names_the_receiving_authority(
    backend: str,
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    client = await _app(make_client, make_settings, port)
    uows = client.app[UOW]
    ticket_id = await file_salud_ticket(uows, None, citizen_id=await _citizen(uows), notify_by_email=True)
    radicado = (await load_ticket(uows, ticket_id)).radicado
    headers = {"Authorization": f"Bearer {await login(client, 'admin@demo.pasto.gov.co')}"}
    resp = await client.post(
        f"/api/v1/tickets/{radicado}/forward",
        json={"authority": "Superintendencia Nacional de Salud", "reason": "Es competencia de la EPS."},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    (body,) = await _mail_to(inbox, EMAIL)
    assert "trasladada a Superintendencia Nacional de Salud, la entidad competente" in body, body
    assert "Motivo: Es competencia de la EPS." in body


async def test_the_officials_alert_reads_the_status_and_dates_in_spanish(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await make_client(make_settings(escalation_sweep_seconds=0.05, jobs_retry_base_seconds=0.01))
    uows = client.app[UOW]
    async with uows() as uow:
        await seed_demo(uow)
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent)  # en trámite, due Tuesday 15 December 2026
    first = (await load_ticket(uows, ticket_id)).next_escalation_at
    assert first is not None
    clock.set(first)

    async def fired() -> bool:
        return len(await escalation_events(uows, ticket_id)) == 1

    await eventually(fired, what="the first escalation")
    async with uows() as uow:
        (body,) = (
            await uow.session.scalars(
                select(OutboundMessage.body).where(
                    OutboundMessage.ticket_id == ticket_id, OutboundMessage.to == AGENT
                )
            )
        ).all()
    assert "Estado: En trámite" in body and "en_tramite" not in body, body
    assert "Fecha de vencimiento: martes 15 de diciembre de 2026" in body
    assert "Dependencia: Secretaría de Salud" in body
    assert not ISO_DATE.search(body), body


async def test_the_admin_api_names_the_dependencias_without_a_supervisor(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    client = await _app(make_client, make_settings)
    headers = {"Authorization": f"Bearer {await login(client, SUPERVISOR)}"}
    resp = await client.get("/api/v1/admin/escalation-coverage", headers=headers)
    assert resp.status == 200
    gaps = {g["code"]: g["fallback"] for g in (await resp.json())["without_supervisor"]}
    # The demo city has supervisors only in the Oficina de Atención al Ciudadano.
    assert "atencion_ciudadano" not in gaps
    assert gaps["transito"] == gaps["salud"] == gaps["gobierno"] == "atencion_ciudadano"

    async with client.app[UOW]() as uow:  # the Oficina's supervisor leaves: the admins are the fallback
        await uow.session.execute(update(Official).where(Official.email == SUPERVISOR).values(active=False))
        await uow.commit()
    admin = {"Authorization": f"Bearer {await login(client, 'admin@demo.pasto.gov.co')}"}
    body = await (await client.get("/api/v1/admin/escalation-coverage", headers=admin)).json()
    gaps = {g["code"]: g["fallback"] for g in body["without_supervisor"]}
    assert gaps["atencion_ciudadano"] == gaps["transito"] == "admins"
    agent = {"Authorization": f"Bearer {await login(client, AGENT)}"}
    assert (await client.get("/api/v1/admin/escalation-coverage", headers=agent)).status == 403


async def test_the_extension_notice_gives_the_new_due_date_in_words(
    backend: str,
    make_client: AppFactory,
    make_settings: Callable[..., Settings],
    clock: FakeClock,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    client = await _app(make_client, make_settings, port)
    uows = client.app[UOW]
    agent = await official_id(uows, AGENT)
    ticket_id = await file_salud_ticket(uows, agent, citizen_id=await _citizen(uows), notify_by_email=True)
    radicado = (await load_ticket(uows, ticket_id)).radicado
    headers = {"Authorization": f"Bearer {await login(client, 'admin@demo.pasto.gov.co')}"}
    resp = await client.post(
        f"/api/v1/tickets/{radicado}/extend",
        json={"new_due_date": "2027-01-05", "reasons": "Se requiere concepto de la EPS."},
        headers=headers,
    )
    assert resp.status == 200, await resp.text()
    (body,) = await _mail_to(inbox, EMAIL)
    assert "se prorrogó hasta el martes 5 de enero de 2027" in body, body
    assert not ISO_DATE.search(body), body
