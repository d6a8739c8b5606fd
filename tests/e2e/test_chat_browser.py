"""Two browser pages and a dashboard in Debian's chromium: a citizen starts a chat, agente1 logs in,
goes available, accepts the offer, they exchange messages, the official converts the chat into a
PQRD and the citizen sees the radicado; the supervisor page shows the queue change meanwhile.
axe-core finds no serious or critical problem on the three pages; screenshots in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import check_accessibility as shared_check
from tests.support.browser import chromium, new_page, seeded_server

pytestmark = pytest.mark.browser
WAIT = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("chat")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def check_accessibility(page: Page, name: str) -> None:
    shared_check(page, f"chat-{name}")


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Correo institucional").fill(email)
    page.get_by_label("Contraseña").fill("demo-195")
    page.get_by_role("button", name="Ingresar").click()


def test_chat_from_citizen_to_official_to_pqrd_with_the_supervisor_watching(
    server: str, browser: Browser
) -> None:
    supervisor = new_page(browser)
    log_in(supervisor, f"{server}/supervisor", "supervisor@demo.pasto.gov.co")
    waiting = supervisor.locator('[data-queue="atencion_general"] .espera')
    expect(waiting).to_have_text("0", timeout=WAIT)

    agent = new_page(browser)
    log_in(agent, f"{server}/agents", "agente1@demo.pasto.gov.co")
    expect(agent.locator("#estado-actual")).to_be_visible(timeout=WAIT)

    citizen = new_page(browser)
    citizen.goto(f"{server}/portal/chat")
    check_accessibility(citizen, "citizen-start")
    citizen.get_by_label("Su nombre (opcional)").fill("<img src=x onerror=alert(1)> Ana")
    citizen.get_by_label("Tema").select_option("atencion_general")
    citizen.get_by_label("Acepto el tratamiento de mis datos según el aviso de privacidad").check()
    citizen.get_by_role("button", name="Iniciar chat").click()
    expect(citizen.locator("#estado")).to_contain_text("posición 1", timeout=WAIT)
    expect(waiting).to_have_text("1", timeout=WAIT)  # the supervisor sees the citizen waiting

    agent.get_by_label("Cambiar a").select_option("available")
    agent.get_by_role("button", name="Aplicar").click()
    offer = agent.locator("li.oferta")
    expect(offer).to_contain_text("Chat", timeout=WAIT)
    expect(offer).to_contain_text("s para responder")
    offer.get_by_role("button", name="Aceptar").click()
    conversation = agent.locator("article.conversacion")
    expect(conversation).to_be_visible(timeout=WAIT)
    expect(waiting).to_have_text("0", timeout=WAIT)  # and then the queue empties
    expect(citizen.locator("#estado")).to_contain_text("Le atiende Andrés Rosero", timeout=WAIT)

    citizen.get_by_label("Su mensaje").fill("<b>Hola</b>, ¿cómo pago el predial?")
    citizen.get_by_role("button", name="Enviar").click()
    expect(citizen.locator("li.msg-citizen .entregado")).to_be_visible(timeout=WAIT)
    expect(conversation.locator("li.msg-citizen")).to_contain_text(
        "<b>Hola</b>, ¿cómo pago el predial?", timeout=WAIT
    )
    assert conversation.locator("li.msg-citizen b").count() == 0  # shown as text, never as HTML

    conversation.get_by_label("Respuesta", exact=True).fill("/predial")
    conversation.get_by_role("button", name=re.compile("Impuesto predial")).click()
    conversation.get_by_label("Respuesta", exact=True).press("Enter")  # Enter sends
    expect(citizen.locator("li.msg-official")).to_contain_text("impuesto predial", timeout=WAIT)

    conversation.get_by_text("Convertir en PQRD").click()
    conversation.get_by_label("Asunto").fill("Acuerdo de pago del predial")
    conversation.get_by_label("Descripción").fill("La ciudadana pide un acuerdo de pago.")
    conversation.get_by_role("button", name="Radicar").click()
    expect(citizen.locator("#radicado")).to_contain_text(
        re.compile(r"radicada con el número \d+"), timeout=WAIT
    )
    expect(conversation.locator(".radicado")).to_contain_text("Radicado", timeout=WAIT)

    check_accessibility(citizen, "citizen")
    check_accessibility(agent, "agent")
    check_accessibility(supervisor, "supervisor")
    ages = supervisor.evaluate("window.dashboardAges")
    assert ages and sorted(ages)[int(0.95 * (len(ages) - 1))] < 1000, ages
