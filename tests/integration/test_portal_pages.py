"""The portal's PQRD form and status page, as a browser without JavaScript uses them."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from contact_center.core.db.models import Attachment, Ticket
from contact_center.core.http.keys import UOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCRIPT = '<script>alert("x")</script>'


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form carries a CSRF token"
    return found.group(1)


async def open_form(client: TestClient[Any, Any], path: str = "/portal/pqrd") -> str:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.content_type == "text/html"
    return csrf_token(await resp.text())


def pqrd_form(token: str, **overrides: str | list[str]) -> FormData:
    values: dict[str, str | list[str]] = {
        "csrf_token": token,
        "tipo": "queja",
        "asunto": "Hueco en la carrera 27",
        "descripcion": "Hay un hueco profundo frente al número 18-40.",
        "dependencia": "",
        "nombre": "Ana Pérez",
        "tipo_documento": "CC",
        "numero_documento": "1085123456",
        "correo": "ana@example.co",
        "telefono": "300 123 4567",
        "autorizacion": "si",
        "prioridad": ["adulto_mayor"],
    }
    values.update(overrides)
    form = FormData()
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            form.add_field(name, item)
    return form


async def ticket_count(client: TestClient[Any, Any]) -> int:
    async with client.app[UOW]() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_the_form_page_is_spanish_accessible_and_sets_a_csrf_cookie(
    seeded: TestClient[Any, Any],
) -> None:
    resp = await seeded.get("/portal/pqrd")
    html = await resp.text()
    assert resp.status == 200 and '<html lang="es-CO">' in html
    assert "pasto195_csrf" in resp.cookies
    assert 'href="#contenido"' in html and "Ley 1581 de 2012" in html
    assert "<legend>¿Qué tipo de solicitud quiere presentar?" in html
    assert 'enctype="multipart/form-data"' in html and "Secretaría de Tránsito" in html


async def test_a_complete_form_files_the_pqrd_with_its_attachment_and_shows_the_receipt(
    seeded: TestClient[Any, Any],
) -> None:
    form = pqrd_form(await open_form(seeded))
    form.add_field("files", PDF, filename="soporte.pdf", content_type="application/pdf")
    resp = await seeded.post("/portal/pqrd", data=form)
    html = await resp.text()
    assert resp.status == 200, html
    radicado = re.search(r'<p class="big" id="radicado">(\d{10})</p>', html)
    code = re.search(r'<code id="codigo-acceso">([A-Z0-9]{8})</code>', html)
    assert radicado and code
    assert "23 de noviembre de 2026, 10:00 a. m." in html
    assert "Fecha límite de respuesta" in html and "de diciembre de 2026" in html
    async with seeded.app[UOW]() as uow:
        ticket = (await uow.session.scalars(select(Ticket))).one()
        files = (await uow.session.scalars(select(Attachment.filename))).all()
        assert ticket.radicado == radicado.group(1) and ticket.channel == "web"
        assert ticket.priority_flags == ["adulto_mayor"] and ticket.citizen_id is not None
    assert list(files) == ["soporte.pdf"]


async def test_field_errors_keep_the_values_and_point_at_each_field(seeded: TestClient[Any, Any]) -> None:
    token = await open_form(seeded)
    resp = await seeded.post(
        "/portal/pqrd", data=pqrd_form(token, asunto="", correo="ana-at-example", autorizacion="")
    )
    html = await resp.text()
    assert resp.status == 400
    assert "<title>Error: " in html and 'id="error-summary"' in html
    for field in ("asunto", "correo", "autorizacion"):
        assert f'<a href="#{field}">' in html
        assert f'id="{field}-error"' in html
    assert re.search(
        r'id="asunto"[^>]*aria-describedby="asunto-hint asunto-error"[^>]*aria-invalid="true"', html
    )
    assert 'value="ana-at-example"' in html and "Hay un hueco profundo" in html
    assert 'value="adulto_mayor" checked' in html and 'value="queja" id="tipo-queja" checked' in html
    assert await ticket_count(seeded) == 0


async def test_anonymous_filing_needs_no_personal_data(seeded: TestClient[Any, Any]) -> None:
    token = await open_form(seeded)
    form = pqrd_form(
        token, anonimo="si", nombre="", correo="", telefono="", numero_documento="", autorizacion=""
    )
    resp = await seeded.post("/portal/pqrd", data=form)
    assert resp.status == 200, await resp.text()
    async with seeded.app[UOW]() as uow:
        ticket = (await uow.session.scalars(select(Ticket))).one()
        assert ticket.anonymous and ticket.citizen_id is None


async def test_a_post_without_the_csrf_token_or_with_a_forged_one_files_nothing(
    seeded: TestClient[Any, Any],
) -> None:
    token = await open_form(seeded)
    missing = await seeded.post("/portal/pqrd", data=pqrd_form(""))
    forged = await seeded.post("/portal/pqrd", data=pqrd_form(token[:-4] + "0000"))
    seeded.session.cookie_jar.clear()  # a cross-site page cannot send our cookie's value along
    no_cookie = await seeded.post("/portal/pqrd", data=pqrd_form(token))
    for resp in (missing, forged, no_cookie):
        assert resp.status == 403
        assert "no se radicó nada" in await resp.text()
    assert await ticket_count(seeded) == 0


async def test_html_typed_by_the_citizen_is_escaped_on_the_receipt_and_the_status_page(
    seeded: TestClient[Any, Any],
) -> None:
    token = await open_form(seeded)
    resp = await seeded.post("/portal/pqrd", data=pqrd_form(token, asunto=SCRIPT, nombre=SCRIPT))
    html = await resp.text()
    assert resp.status == 200
    assert SCRIPT not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    radicado = re.search(r'id="radicado">(\d+)<', html)
    code = re.search(r'id="codigo-acceso">(\w+)<', html)
    assert radicado and code
    status_token = await open_form(seeded, "/portal/pqrd/consulta")
    lookup = await seeded.post(
        "/portal/pqrd/consulta",
        data={"csrf_token": status_token, "radicado": radicado.group(1), "codigo": code.group(1).lower()},
    )
    page = await lookup.text()
    assert lookup.status == 200
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert 'id="estado">Radicado<' in page and "Historial" in page
    assert "acknowledged" not in page and "Acuse de recibo enviado" in page  # Spanish words only


async def test_the_status_page_answers_the_same_for_a_wrong_code_and_an_unknown_radicado(
    seeded: TestClient[Any, Any],
) -> None:
    token = await open_form(seeded)
    html = await (await seeded.post("/portal/pqrd", data=pqrd_form(token))).text()
    radicado = re.search(r'id="radicado">(\d+)<', html)
    assert radicado
    status_token = await open_form(seeded, "/portal/pqrd/consulta")
    answers = []
    for number, code in ((radicado.group(1), "WRONG123"), ("2026999999", "WRONG123")):
        resp = await seeded.post(
            "/portal/pqrd/consulta", data={"csrf_token": status_token, "radicado": number, "codigo": code}
        )
        body = await resp.text()
        answers.append((resp.status, re.search(r"<li><a href=\"#radicado\">([^<]+)</a>", body).group(1)))  # type: ignore[union-attr]
    assert answers[0] == answers[1] and answers[0][0] == 404


async def test_the_status_page_refuses_a_client_after_ten_failed_attempts(
    seeded: TestClient[Any, Any],
) -> None:
    token = await open_form(seeded, "/portal/pqrd/consulta")
    statuses = []
    for _ in range(12):
        resp = await seeded.post(
            "/portal/pqrd/consulta",
            data={"csrf_token": token, "radicado": "2026000001", "codigo": "AAAA2222"},
        )
        statuses.append(resp.status)
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]


def submission_id(html: str) -> str:
    found = re.search(r'name="envio" value="([^"]+)"', html)
    assert found, "the form carries a submission id"
    return found.group(1)


async def test_a_resubmitted_form_shows_the_same_receipt_and_files_nothing_new(
    seeded: TestClient[Any, Any], backend: str
) -> None:
    page = await (await seeded.get("/portal/pqrd")).text()
    token, envio = csrf_token(page), submission_id(page)
    receipts = []
    for _ in range(2):  # a double click, or the browser re-sending the POST on reload
        form = pqrd_form(token, envio=envio)
        form.add_field("files", PDF, filename="soporte.pdf", content_type="application/pdf")
        resp = await seeded.post("/portal/pqrd", data=form)
        html = await resp.text()
        assert resp.status == 200, html
        found = re.search(r'id="radicado">(\d+)<.*id="codigo-acceso">(\w+)<', html, re.S)
        assert found
        receipts.append(found.groups())
    assert receipts[0] == receipts[1]
    assert await ticket_count(seeded) == 1
    async with seeded.app[UOW]() as uow:
        assert int(await uow.session.scalar(select(func.count()).select_from(Attachment)) or 0) == 1
    # The same id with other content is refused, and a new form gets a new id that files again.
    changed = await seeded.post("/portal/pqrd", data=pqrd_form(token, envio=envio, asunto="Otra cosa"))
    assert changed.status == 409 and "ya se había enviado con otros datos" in await changed.text()
    assert submission_id(await changed.text()) != envio
    fresh = submission_id(await (await seeded.get("/portal/pqrd")).text())
    again = await seeded.post("/portal/pqrd", data=pqrd_form(token, envio=fresh))
    assert again.status == 200 and await ticket_count(seeded) == 2


async def test_another_browser_cannot_replay_a_receipt_by_its_submission_id(
    seeded: TestClient[Any, Any],
) -> None:
    page = await (await seeded.get("/portal/pqrd")).text()
    envio = submission_id(page)
    first = await seeded.post("/portal/pqrd", data=pqrd_form(csrf_token(page), envio=envio))
    code = re.search(r'id="codigo-acceso">(\w+)<', await first.text())
    assert first.status == 200 and code
    seeded.session.cookie_jar.clear()  # another browser: its own CSRF cookie
    other = await open_form(seeded)
    resp = await seeded.post("/portal/pqrd", data=pqrd_form(other, envio=envio))
    assert resp.status == 200 and code.group(1) not in await resp.text()
    assert await ticket_count(seeded) == 2
