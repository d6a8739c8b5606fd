"""The trámites catalogue in Debian's chromium: search on the portal with the keyboard, browse,
read a record, answer "¿Le fue útil?" with JavaScript off; in the chat page, suggestions appear as
the citizen writes, open in place, and "resolved by the knowledge base" is recorded. axe-core finds
no serious or critical problem on any of these pages; screenshots in test-artifacts/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import check_accessibility as shared_check
from tests.support.browser import chromium, new_page, seeded_server

pytestmark = pytest.mark.browser
WAIT = 15_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("tramites")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def check_accessibility(page: Page, name: str) -> None:
    shared_check(page, f"tramites-{name}")


def report(server: str) -> dict[str, list[dict[str, object]]]:
    login = Request(
        f"{server}/api/v1/auth/login",
        data=json.dumps({"email": "supervisor@demo.pasto.gov.co", "password": "demo-195"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urlopen(login) as resp:
        token = json.load(resp)["token"]
    with urlopen(
        Request(f"{server}/api/v1/reports/tramites", headers={"Authorization": f"Bearer {token}"})
    ) as resp:
        out: dict[str, list[dict[str, object]]] = json.load(resp)
    return out


def test_portal_search_record_and_feedback_without_javascript(server: str, browser: Browser) -> None:
    context = browser.new_context(bypass_csp=True, locale="es-CO", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/portal/tramites")
    expect(page).to_have_title(re.compile("Trámites y servicios"))
    expect(page.get_by_role("link", name="Trámites y servicios")).to_have_attribute("aria-current", "page")
    field = page.get_by_label("¿Qué trámite busca?")
    field.focus()
    page.keyboard.type("impuestos prediales")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=re.compile("resultados? para «impuestos prediales»"))
    ).to_be_visible()
    first = page.locator(".tramite-list h3 a").first
    expect(first).to_have_text("Impuesto predial unificado")

    page.get_by_role("link", name="Vehículos y movilidad").click()
    expect(page.locator(".tramite-list")).to_contain_text("Licencia de conducción")
    page.get_by_role("link", name="Licencia de conducción").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Licencia de conducción")
    expect(page.get_by_text("Ley 769 de 2002")).to_be_visible()
    expect(page.get_by_role("link", name="Abrir en la aplicación de mapas")).to_have_attribute(
        "href", "geo:1.2144,-77.2811"
    )
    page.emulate_media(media="print")
    expect(page.locator(".feedback")).to_be_hidden()  # the print style sheet keeps only the record
    page.emulate_media(media="screen")
    context.close()


def test_pages_pass_axe_and_feedback_is_kept(server: str, browser: Browser) -> None:
    page = new_page(browser)
    page.goto(f"{server}/portal/tramites?q=licencia+conducion")
    expect(page.locator(".tramite-list h3 a").first).to_have_text("Licencia de conducción")
    check_accessibility(page, "1-search")
    page.goto(f"{server}/portal/tramites?q=zzqqxx")
    expect(page.locator("#sin-resultados")).to_be_visible()
    check_accessibility(page, "2-no-result")
    page.goto(f"{server}/portal/tramites/sisben-encuesta")
    check_accessibility(page, "3-record")
    page.get_by_role("button", name="No", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Gracias por su respuesta.")
    check_accessibility(page, "4-thanks")
    found = report(server)
    assert {"channel": "portal", "query": "zzqqxx"}.items() <= found["no_result"][0].items()
    assert any(r["slug"] == "sisben-encuesta" and r["not_useful"] == 1 for r in found["unhelpful"])
    page.context.close()


def test_chat_suggests_tramites_while_the_citizen_writes(server: str, browser: Browser) -> None:
    page = new_page(browser)
    page.goto(f"{server}/portal/chat")
    field = page.get_by_label("¿Qué necesita? (opcional)")
    field.focus()
    page.keyboard.type("renovar el pase de conducir", delay=20)
    suggestion = page.locator("#sugerencias-lista summary").first
    expect(suggestion).to_have_text("Licencia de conducción", timeout=WAIT)
    check_accessibility(page, "5-chat-suggestions")
    suggestion.click()
    expect(page.locator("#sugerencias-lista details").first).to_contain_text(
        "Secretaría de Tránsito y Transporte"
    )
    page.get_by_role("button", name="Sí, esto resolvió mi consulta").first.click()
    expect(page.locator("#sugerencias-estado")).to_contain_text("No necesita esperar a un funcionario")
    check_accessibility(page, "6-chat-resolved")
    resolved = report(server)["resolved"]
    assert [(r["channel"], r["slug"], r["count"]) for r in resolved] == [
        ("chat", "licencia-de-conduccion", 1)
    ]
    # Typing was not logged as searches with no result.
    assert not any(r["channel"] == "chat" for r in report(server)["no_result"])
    page.context.close()
