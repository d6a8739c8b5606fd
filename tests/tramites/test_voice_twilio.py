"""The 195 line's trámites menu, generated from the published catalogue, through signed Twilio
webhooks: most consulted first, pages, repeat, the voice summary, the SMS with the link, "¿Le fue
útil?", and a trámite published during the day appearing in the next call without a restart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from contact_center.core.config import Settings
from contact_center.core.http.keys import UOW
from contact_center.outbound.models import OutboundMessage
from contact_center.seed import seed_demo
from tests.conftest import AppFactory, login
from tests.integration.twilio_support import CALLER, TOKEN, call_params, said, twiml

Client = TestClient[Any, Any]


async def line_with(make_client: AppFactory, settings: Settings) -> Client:
    client = await make_client(settings)
    async with client.app[UOW]() as uow:
        await seed_demo(uow)
    return client


class Call:
    """One caller on the line: each `press` follows the last <Gather>'s action."""

    def __init__(self, client: Client, sid: str) -> None:
        self.client, self.sid, self.action = client, sid, ""

    async def start(self) -> str:
        return await self._turn("/channels/twilio/voice", {})

    async def press(self, keys: str) -> str:
        return await self._turn(self.action, {"Digits": keys})

    async def _turn(self, path: str, extra: dict[str, str]) -> str:
        root = await twiml(self.client, path, call_params(self.sid, **extra))
        gather = root.find("Gather")
        assert gather is not None, said(root)
        self.action = gather.get("action", "")
        return said(root)


async def consult(client: Client, slug: str, times: int) -> None:
    for _ in range(times):
        assert (await client.get(f"/api/v1/tramites/{slug}")).status == 200


async def test_menu_most_consulted_first_with_pages_repeat_summary_and_feedback(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    line = await line_with(make_client, make_settings(twilio_auth_token=TOKEN))
    await consult(line, "licencia-de-conduccion", 3)
    await consult(line, "impuesto-predial", 2)
    call = Call(line, "CAtramites000000000000000000000001")
    await call.start()

    menu = await call.press("1")
    assert "Información de trámites." in menu
    assert "Para Licencia de conducción, marque 1. Para Impuesto predial unificado, marque 2." in menu
    assert "Para escuchar más trámites, marque 8." in menu
    assert "Para repetir las opciones, marque asterisco." in menu

    assert await call.press("*") == menu
    page2 = await call.press("8")
    assert "Licencia de conducción" not in page2 and "marque 5." in page2
    page_numbers = [page2]
    for _ in range(2):  # 20 trámites, 5 a page: the fourth page is the last
        page_numbers.append(await call.press("8"))
    assert "Para escuchar más trámites" not in page_numbers[-1]

    back = await call.press("9")
    assert "Para información de trámites, marque 1." in back  # the main menu again
    await call.press("1")
    summary = await call.press("1")
    assert "Licencia de conducción. Expedir, renovar o recategorizar la licencia de conducción." in summary
    assert "Para repetir la información, marque 1." in summary
    assert "Licencia de conducción. Expedir" in await call.press("1")  # repeated
    no_sms = await call.press("2")  # Twilio SMS is not configured on this line
    assert "No es posible enviar el mensaje de texto." in no_sms
    thanks = await call.press("4")
    assert "Gracias por su opinión." in thanks

    token = await login(line, "supervisor@demo.pasto.gov.co")
    report = await (
        await line.get("/api/v1/reports/tramites", headers={"Authorization": f"Bearer {token}"})
    ).json()
    voice = [r for r in report["consulted"] if r["channel"] == "voice"]
    assert voice == [{"month": "2026-11", "channel": "voice", "slug": "licencia-de-conduccion", "count": 1}]
    assert {
        "channel": "voice",
        "slug": "licencia-de-conduccion",
        "not_useful": 1,
        "useful": 0,
    }.items() <= next(r for r in report["unhelpful"] if r["channel"] == "voice").items()


async def test_sms_with_the_link_when_twilio_sms_is_configured(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        twilio_auth_token=TOKEN, twilio_account_sid="AC" + "0" * 32, twilio_from_number="+576027333195"
    )
    line = await line_with(make_client, settings)
    await consult(line, "sisben-encuesta", 1)
    call = Call(line, "CAtramites000000000000000000000002")
    await call.start()
    assert "Para Solicitud de encuesta del SISBÉN, marque 1." in await call.press("1")
    await call.press("1")
    sent = await call.press("2")
    assert "Le enviaremos el enlace por mensaje de texto a este número." in sent
    async with line.app[UOW]() as uow:
        sms = [(m.channel, m.to, m.body) for m in await uow.session.scalars(select(OutboundMessage))]
    link = "http://testserver.local/portal/tramites/sisben-encuesta"
    assert sms == [("sms", CALLER, f"Alcaldía de Pasto - Solicitud de encuesta del SISBÉN: {link}")]


async def test_a_trámite_published_during_the_day_is_in_the_next_call(
    backend: str, make_client: AppFactory, make_settings: Callable[..., Settings]
) -> None:
    line = await line_with(make_client, make_settings(twilio_auth_token=TOKEN))
    first = Call(line, "CAtramites000000000000000000000003")
    await first.start()
    assert "Cementerio" not in await first.press("1")

    admin = {"Authorization": f"Bearer {await login(line, 'admin@demo.pasto.gov.co')}"}
    new = {
        "name": "Licencia de inhumación en el cementerio municipal",
        "dependencia": "salud",
        "purpose": "Autorizar la inhumación en el cementerio municipal.",
        "voice_summary": "Licencia de inhumación. Requisitos por confirmar con la dependencia.",
        "chat_answer": "La licencia de inhumación la expide la Secretaría de Salud.",
    }
    assert (await line.post("/api/v1/tramites", json=new, headers=admin)).status == 201
    slug = "licencia-de-inhumacion-en-el-cementerio-municipal"
    assert (await line.post(f"/api/v1/tramites/{slug}/publish", json={}, headers=admin)).status == 200
    await consult(line, slug, 1)

    second = Call(line, "CAtramites000000000000000000000004")
    await second.start()
    menu = await second.press("1")
    assert "Para Licencia de inhumación en el cementerio municipal, marque 1." in menu
    assert "Licencia de inhumación. Requisitos" in await second.press("1")
