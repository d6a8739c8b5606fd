"""Which earlier cases an app account sees: only those reached through what the account proved.

A document number is a claim anyone can type; the e-mail address is proven by the verification code.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.db.models import CitizenIdentity
from contact_center.core.http.keys import UOW
from tests.integration.test_citizen_app import verified_citizen

Client = TestClient[Any, Any]
VICTIM = {
    "name": "Ana Pérez",
    "document_type": "CC",
    "document_number": "1085123456",
    "email": "ana@example.co",
    "phone": "+573001234567",
}


async def file_on_the_web(client: Client, subject: str, **citizen: str) -> dict[str, str]:
    body = {
        "type": "peticion",
        "subject": subject,
        "description": "Descripción de la solicitud.",
        "citizen": citizen,
        "data_consent": True,
    }
    resp = await client.post("/api/v1/pqrd", json=body)
    assert resp.status == 201, await resp.text()
    filed: dict[str, str] = await resp.json()
    return filed


async def my_radicados(client: Client, me: dict[str, str]) -> list[str]:
    resp = await client.get("/api/v1/app/cases", headers=me)
    assert resp.status == 200, await resp.text()
    return [t["radicado"] for t in (await resp.json())["tickets"]]


async def test_registering_with_someone_elses_document_shows_none_of_their_cases(
    seeded: Client, backend: str
) -> None:
    victims = await file_on_the_web(seeded, "Poda de un árbol", **VICTIM)
    attacker = await verified_citizen(
        seeded, "mallory@example.co", document_type="CC", document_number="1.085.123.456"
    )
    assert await my_radicados(seeded, attacker) == []
    case = await seeded.get("/api/v1/app/cases/1", headers=attacker)
    assert case.status == 404
    # The victim still proves her address and finds her case, untouched by the attacker's claim.
    ana = await verified_citizen(seeded, VICTIM["email"])
    assert await my_radicados(seeded, ana) == [victims["radicado"]]


async def test_filing_with_someone_elses_document_joins_nothing_of_theirs(seeded: Client) -> None:
    victims = await file_on_the_web(seeded, "Poda de un árbol", **VICTIM)
    impostor = {**VICTIM, "name": "Impostor", "email": "mallory@example.co", "phone": "+573009999999"}
    mine = await file_on_the_web(seeded, "Otra cosa", **impostor)
    # The filer's access code opens their own radicado only.
    other = await seeded.get(
        f"/api/v1/pqrd/{victims['radicado']}", params={"access_code": mine["access_code"]}
    )
    assert other.status == 404
    attacker = await verified_citizen(seeded, "mallory@example.co")
    assert await my_radicados(seeded, attacker) == [mine["radicado"]]
    ana = await verified_citizen(seeded, VICTIM["email"])
    assert await my_radicados(seeded, ana) == [victims["radicado"]]


async def test_cases_filed_with_an_email_show_up_once_that_email_is_verified(
    seeded: Client, backend: str
) -> None:
    first = await file_on_the_web(seeded, "Hueco en la calle", name="Ana Pérez", email="Ana@Example.co")
    second = await file_on_the_web(
        seeded, "Alumbrado", name="Ana", email="ana@example.co", phone="3001234567"
    )
    ana = await verified_citizen(seeded, "ana@example.co")
    assert sorted(await my_radicados(seeded, ana)) == sorted([first["radicado"], second["radicado"]])
    # Filed on the web after verifying: the typed address leads to the same history.
    third = await file_on_the_web(seeded, "Ruido", name="Ana Pérez", email="ana@example.co")
    assert third["radicado"] in await my_radicados(seeded, ana)


async def test_the_document_typed_at_sign_up_is_kept_as_an_unverified_claim(seeded: Client) -> None:
    await verified_citizen(seeded, "luis@example.co", document_type="CC", document_number="98765432")
    async with seeded.app[UOW]() as uow:
        rows = (await uow.session.scalars(select(CitizenIdentity))).all()
        found = {(r.kind, r.value): r.verified for r in rows}
    assert found[("document", "CC:98765432")] is False
    assert found[("email", "luis@example.co")] is True
