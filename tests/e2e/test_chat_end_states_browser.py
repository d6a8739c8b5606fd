"""The citizen's chat end-states in Debian's chromium (issue 16): a closed tab leaves the queue and is
recorded abandoned; with nobody available the citizen is offered a PQRD after the configured wait,
leaving it ends the wait visibly, and a new chat can be started. The supervisor watches the queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_workspace_browser import WAIT, log_in, page_for, start_chat
from tests.support.browser import check_accessibility, chromium, seeded_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = {"CHAT_ABANDON_GRACE_SECONDS": "1", "CHAT_OFFER_PQRD_AFTER_SECONDS": "3"}
    with seeded_server(tmp_path_factory.mktemp("end-states"), **settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_a_closed_tab_leaves_the_queue_and_is_recorded_abandoned(server: str, browser: Browser) -> None:
    supervisor = page_for(browser)
    log_in(supervisor, f"{server}/supervisor", "supervisor@demo.pasto.gov.co")
    card = supervisor.locator('[data-queue="atencion_general"]')
    expect(card.locator(".espera")).to_have_text("0", timeout=WAIT)
    abandoned_before = int(card.locator(".abandonados").inner_text())

    citizen = start_chat(browser, server, "Pedro")
    expect(card.locator(".espera")).to_have_text("1", timeout=WAIT)
    citizen.context.close()  # the tab is closed: no more heartbeat

    expect(card.locator(".espera")).to_have_text("0", timeout=WAIT)
    expect(card.locator(".abandonados")).to_have_text(str(abandoned_before + 1), timeout=WAIT)

    agent = page_for(browser)  # nobody is offered the empty chat
    log_in(agent, f"{server}/agents", "agente1@demo.pasto.gov.co")
    agent.get_by_label("Cambiar a").select_option("available")
    agent.get_by_role("button", name="Aplicar").click()
    expect(agent.locator("#estado-actual")).to_have_text("Disponible", timeout=WAIT)
    agent.wait_for_timeout(2000)
    expect(agent.locator("li.oferta")).to_have_count(0)
    agent.get_by_label("Cambiar a").select_option("offline")
    agent.get_by_role("button", name="Aplicar").click()
    expect(agent.locator("#estado-actual")).to_have_text("Desconectado", timeout=WAIT)


def test_nobody_available_offers_a_pqrd_that_ends_the_wait_and_a_new_chat_starts(
    server: str, browser: Browser
) -> None:
    supervisor = page_for(browser)
    log_in(supervisor, f"{server}/supervisor", "supervisor@demo.pasto.gov.co")
    waiting = supervisor.locator('[data-queue="atencion_general"] .espera')

    citizen = start_chat(browser, server, "Lucía")
    expect(citizen.locator("#estado")).to_contain_text("posición 1", timeout=WAIT)
    expect(citizen.locator("#estado")).not_to_contain_text("espera estimada")  # no data behind an estimate
    expect(waiting).to_have_text("1", timeout=WAIT)
    expect(citizen.locator("#sin-respuesta")).to_be_visible(timeout=WAIT)  # after the configured wait
    check_accessibility(citizen, "chat-nobody-available")

    citizen.get_by_label("Asunto").fill("Certificado de residencia")
    citizen.get_by_label("Descripción").fill("Necesito un certificado de residencia para un trámite.")
    citizen.get_by_label("Quiero recibir el acuse de recibo y las notificaciones en este correo").check()
    citizen.get_by_role("button", name="Radicar solicitud").click()  # "notificar" without an e-mail
    expect(citizen.locator("#aviso-chat")).to_be_visible(timeout=WAIT)
    expect(citizen.locator("#aviso-chat")).to_contain_text("correo")
    citizen.get_by_label("Quiero recibir el acuse de recibo y las notificaciones en este correo").uncheck()
    citizen.get_by_role("button", name="Radicar solicitud").click()
    expect(citizen.locator("#radicado")).to_contain_text("quedó radicada con el número", timeout=WAIT)
    expect(citizen.locator("#radicado")).to_contain_text(" de 20")  # the due date in words, not ISO
    expect(citizen.locator("#fin")).to_contain_text("ya no está en la fila", timeout=WAIT)
    expect(citizen.get_by_label("Su mensaje")).to_be_disabled()
    expect(waiting).to_have_text("0", timeout=WAIT)  # leaving the PQRD ended the wait
    check_accessibility(citizen, "chat-ended")

    citizen.reload()  # still ended after a reload
    expect(citizen.locator("#fin")).to_be_visible(timeout=WAIT)
    citizen.get_by_role("button", name="Iniciar un nuevo chat").click()
    expect(citizen.get_by_role("button", name="Iniciar chat")).to_be_visible(timeout=WAIT)
