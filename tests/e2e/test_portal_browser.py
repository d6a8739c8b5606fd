"""A citizen files a PQRD on the portal with a real browser (Debian's chromium), using the keyboard
and the labels, attaches a PDF, reads back the radicado and the access code, and follows the case on
the status page; axe-core finds no serious or critical accessibility problem on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.server import ROOT, ServerProcess

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("portal")
    env = {
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DATA_DIR": str(data),
        "LOG_FORMAT": "console",
        "SMTP_HOST": "",
    }
    server = ServerProcess(env, log_path=data / "server.log")
    seeded = server.run_cli("seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    with server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The pages forbid inline scripts (CSP); axe-core is injected by the test, so the CSP is bypassed.
    context = browser.new_context(bypass_csp=True, locale="es-CO")
    yield context.new_page()
    context.close()


def check_accessibility(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
             'best-practice']})).violations.map(v => ({id: v.id, impact: v.impact,
             targets: v.nodes.map(n => n.target.join(' '))}))"""
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"


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
