"""A citizen files a PQRD on the portal with a real browser (Debian's chromium), using the keyboard
and the labels, attaches a PDF, reads back the radicado and the access code, and follows the case on
the status page; axe-core finds no serious or critical accessibility problem on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import check_accessibility as shared_check
from tests.support.browser import chromium, seeded_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("portal")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The pages forbid inline scripts (CSP); axe-core is injected by the test, so the CSP is bypassed.
    context = browser.new_context(bypass_csp=True, locale="es-CO")
    yield context.new_page()
    context.close()


def check_accessibility(page: Page, name: str) -> None:
    shared_check(page, f"portal-{name}")


def type_into(page: Page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)


def tick(page: Page, label: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()


def test_a_citizen_files_a_pqrd_and_follows_it(portal: str, page: Page, tmp_path: Path) -> None:
    page.goto(f"{portal}/portal/pqrd")
    expect(page).to_have_title(re.compile("Radicar"))
    check_accessibility(page, "1-form")

    page.keyboard.press("Tab")  # the skip link comes first and takes the citizen to the form
    expect(page.get_by_role("link", name="Saltar al contenido principal")).to_be_focused()

    page.get_by_role("button", name="Radicar solicitud").press("Enter")
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_role("link", name="Elija el tipo de solicitud.").click()
    expect(page.get_by_label("Petición", exact=True)).to_be_focused()
    check_accessibility(page, "2-errors")

    tick(page, "Queja")
    type_into(page, "Asunto (obligatorio)", "Hueco en la carrera 27")
    type_into(page, "Describa su solicitud (obligatorio)", "Hay un hueco profundo frente al número 18-40.")
    page.get_by_label("Dependencia a la que va dirigida").select_option(
        label="Secretaría de Tránsito y Transporte"
    )
    pdf = tmp_path / "foto-del-hueco.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_label("Archivos de soporte (opcional)").set_input_files(str(pdf))
    type_into(page, "Nombre completo", "Ana Pérez")
    type_into(page, "Número de documento", "1085123456")
    type_into(page, "Correo electrónico", "ana@example.co")
    tick(page, "Soy una persona adulta mayor")
    tick(page, "He leído el aviso de privacidad y autorizo el tratamiento de mis datos personales")
    page.get_by_role("button", name="Radicar solicitud").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Su solicitud quedó radicada")).to_be_visible()
    radicado = page.locator("#radicado").inner_text()
    code = page.locator("#codigo-acceso").inner_text()
    assert re.fullmatch(r"\d{10}", radicado) and re.fullmatch(r"[A-Z0-9]{8}", code)
    expect(page.get_by_text("Fecha límite de respuesta")).to_be_visible()
    check_accessibility(page, "3-receipt")

    page.get_by_role("link", name="Consultar el estado de esta solicitud").click()
    expect(page.get_by_label("Número de radicado")).to_have_value(radicado)
    type_into(page, "Código de acceso", code.lower())
    page.keyboard.press("Enter")
    expect(page.locator("#estado")).to_have_text("Radicado")
    expect(page.locator("#asunto-caso")).to_have_text("Hueco en la carrera 27")
    check_accessibility(page, "4-status")
