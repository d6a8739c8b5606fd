"""The officials' workspace (Vue console and wallboard) walked in Debian's chromium as the people of
issue 16 would: two officials, a supervisor and a citizen in separate browser contexts. Each test is a
situation of the issue's "Why" that used to go wrong; axe-core checks every screen reached, and the
inbox, detail and wallboard are kept as screenshots at 1366×768 and 1920×1080 in test-artifacts/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import ARTIFACTS, check_accessibility, chromium, seeded_server

pytestmark = pytest.mark.browser
WAIT = 20_000
AGENT1, AGENT1_NAME = "agente1@demo.pasto.gov.co", "Andrés Rosero"
AGENT2, AGENT2_NAME = "agente2@demo.pasto.gov.co", "María Fernanda Burbano"
SUPERVISOR = "supervisor@demo.pasto.gov.co"
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("workspace")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def page_for(browser: Browser, width: int = 1366, height: int = 768) -> Page:
    context = browser.new_context(
        bypass_csp=True, locale="es-CO", viewport={"width": width, "height": height}
    )
    return context.new_page()


def log_in(page: Page, url: str, email: str, password: str = "demo-195") -> None:
    page.goto(url)
    page.get_by_label("Correo institucional").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()


def go_available(page: Page) -> None:
    page.get_by_label("Cambiar a").select_option("available")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.locator("#estado-actual")).to_have_text("Disponible", timeout=WAIT)


def go_offline(page: Page) -> None:
    page.get_by_label("Cambiar a").select_option("offline")
    page.get_by_role("button", name="Aplicar").click()
    expect(page.locator("#estado-actual")).to_have_text("Desconectado", timeout=WAIT)


def start_chat(browser: Browser, url: str, name: str) -> Page:
    citizen = page_for(browser)
    citizen.goto(f"{url}/portal/chat")
    citizen.get_by_label("Su nombre (opcional)").fill(name)
    citizen.get_by_label("Tema").select_option("atencion_general")
    citizen.get_by_label("Acepto el tratamiento de mis datos según el aviso de privacidad").check()
    citizen.get_by_role("button", name="Iniciar chat").click()
    return citizen


def accept_offer(agent: Page) -> None:
    offer = agent.locator("li.oferta").first
    expect(offer).to_contain_text("Chat web · Atención", timeout=WAIT)  # the queue by name, not its code
    offer.get_by_role("button", name="Aceptar").click()


def file_pqrd(url: str, subject: str, document: str) -> str:
    body = {
        "type": "peticion",
        "subject": subject,
        "description": "Solicito la reparación del alumbrado público del parque, apagado desde hace un mes.",
        "citizen": {"name": "Rosa Delgado", "document_type": "CC", "document_number": document},
        "anonymous": False,
        "data_consent": True,
        "notify_by_email": False,
    }
    request = Request(
        f"{url}/api/v1/pqrd", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urlopen(request, timeout=10) as resp:
        out: dict[str, Any] = json.loads(resp.read())
    return str(out.get("radicado") or out["ticket"]["radicado"])


def shoot(page: Page, name: str) -> None:
    """The same screen at both sizes (the inbox, the detail and the wallboard of the README)."""
    ARTIFACTS.mkdir(exist_ok=True)
    # The notices were checked already; the picture is of the screen behind them.
    page.evaluate("document.querySelectorAll('.aviso .cerrar').forEach((b) => b.click())")
    for label, (w, h) in SIZES.items():
        page.set_viewport_size({"width": w, "height": h})
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / f"workspace-{name}-{label}.png"))


def test_wrong_password_and_away_without_reason_are_shown_and_away_really_applies(
    server: str, browser: Browser
) -> None:
    agent = page_for(browser)
    log_in(agent, f"{server}/agents", AGENT1, password="no-es-la-clave")
    expect(agent.locator("#error-ingreso")).to_contain_text(re.compile(r"\w+"), timeout=WAIT)
    expect(agent.locator("#error-ingreso")).to_be_visible()
    check_accessibility(agent, "workspace-login-error")

    log_in(agent, f"{server}/agents", AGENT1)
    expect(agent.locator("#estado-actual")).to_be_visible(timeout=WAIT)
    agent.get_by_label("Cambiar a").select_option("away")
    agent.get_by_role("button", name="Aplicar").click()
    expect(agent.get_by_role("alert")).to_contain_text("elija el motivo", ignore_case=True)
    expect(agent.locator("#estado-actual")).not_to_contain_text("Ausente")
    agent.get_by_label("Motivo", exact=True).select_option("Almuerzo")
    agent.get_by_role("button", name="Aplicar").click()
    expect(agent.locator("#estado-actual")).to_have_text("Ausente (Almuerzo)", timeout=WAIT)
    expect(agent.get_by_role("status").filter(has_text="Su estado ahora es Ausente")).to_be_visible()
    agent.reload()  # the server holds the state
    expect(agent.locator("#estado-actual")).to_have_text("Ausente (Almuerzo)", timeout=WAIT)
    check_accessibility(agent, "workspace-away")
    go_offline(agent)


def test_reload_restores_the_chat_enter_sends_typing_clears_and_transfer_detaches(
    server: str, browser: Browser
) -> None:
    agent1 = page_for(browser)
    log_in(agent1, f"{server}/agents", AGENT1)
    expect(agent1.locator("#estado-actual")).to_be_visible(timeout=WAIT)
    go_available(agent1)
    citizen = start_chat(browser, server, "Ana Rosero")
    expect(agent1).to_have_title(re.compile(r"Nueva oferta"), timeout=WAIT)  # the tab title alerts
    assert agent1.evaluate("window.offerTones") >= 1  # and the tone played
    accept_offer(agent1)
    chat = agent1.locator("article.conversacion")
    expect(chat).to_be_visible(timeout=WAIT)
    expect(agent1).not_to_have_title(re.compile(r"Nueva oferta"))
    expect(citizen.locator("#estado")).to_contain_text(f"Le atiende {AGENT1_NAME}", timeout=WAIT)

    citizen.get_by_label("Su mensaje").fill("Necesito el paz y salvo")
    expect(chat.locator(".escribiendo")).to_contain_text("está escribiendo", timeout=WAIT)
    citizen.get_by_role("button", name="Enviar").click()
    expect(chat.locator("li.msg-citizen")).to_contain_text("paz y salvo", timeout=WAIT)
    expect(chat.locator(".escribiendo")).to_have_text("", timeout=WAIT)  # the indicator clears

    box = chat.get_by_label("Respuesta", exact=True)
    box.press_sequentially("/predial")  # canned answers by shortcut, keyboard only
    canned = chat.get_by_role("list", name="Respuestas predefinidas").get_by_role("button").first
    expect(canned).to_contain_text("Impuesto predial", timeout=WAIT)
    box.press("ArrowDown")
    expect(canned).to_be_focused()
    agent1.keyboard.press("Enter")
    expect(box).to_have_value(re.compile("predial"))
    expect(box).to_be_focused()
    box.fill("Con gusto le ayudo.")
    box.press("Shift+Enter")
    box.press_sequentially("¿Cuál es su número de documento?")
    box.press("Enter")  # Enter sends; Shift+Enter was a new line
    expect(citizen.locator("li.msg-official")).to_contain_text("¿Cuál es su número", timeout=WAIT)
    expect(box).to_have_value("")
    check_accessibility(agent1, "workspace-chat")

    agent1.reload()  # the server is the source of truth for what the official holds
    chat = agent1.locator("article.conversacion")
    expect(chat).to_have_count(1, timeout=WAIT)
    expect(chat.locator("li.msg-citizen")).to_contain_text("paz y salvo")
    second_tab = agent1.context.new_page()  # logging in again in a second tab shows the same work
    log_in(second_tab, f"{server}/agents", AGENT1)
    expect(second_tab.locator("article.conversacion")).to_have_count(1, timeout=WAIT)
    second_tab.close()

    agent2 = page_for(browser)
    log_in(agent2, f"{server}/agents", AGENT2)
    expect(agent2.locator("#estado-actual")).to_be_visible(timeout=WAIT)
    go_available(agent2)
    chat.locator("summary", has_text="Transferir").click()
    picker = chat.get_by_label("Transferir a")
    option = picker.locator("option", has_text=AGENT2_NAME)
    expect(option).to_contain_text("Disponible", timeout=WAIT)
    expect(option).to_contain_text("cupos libres")
    picker.select_option(label=option.inner_text().strip())
    chat.get_by_role("button", name="Transferir", exact=True).click()
    expect(agent1.get_by_role("status").filter(has_text=f"transferida a {AGENT2_NAME}")).to_be_visible(
        timeout=WAIT
    )
    expect(agent1.locator("article.conversacion")).to_have_count(0)
    expect(citizen.locator("#mensajes")).to_contain_text(f"transferida a {AGENT2_NAME}", timeout=WAIT)

    accept_offer(agent2)
    chat2 = agent2.locator("article.conversacion")
    expect(chat2.locator("li.msg-citizen")).to_contain_text(
        "paz y salvo", timeout=WAIT
    )  # the transcript moved
    expect(citizen.locator("#estado")).to_contain_text(f"Le atiende {AGENT2_NAME}", timeout=WAIT)
    citizen.get_by_label("Su mensaje").fill("Mi cédula es 1085000111")
    citizen.get_by_role("button", name="Enviar").click()
    expect(chat2.locator("li.msg-citizen").last).to_contain_text("1085000111", timeout=WAIT)
    agent1.reload()  # the first official holds nothing any more, and got none of the new message
    expect(agent1.get_by_text("No tiene conversaciones abiertas")).to_be_visible(timeout=WAIT)
    assert "1085000111" not in agent1.content()

    chat2.get_by_role("button", name="Finalizar").click()
    expect(agent2.locator("article.conversacion")).to_have_count(0, timeout=WAIT)
    expect(citizen.locator("#fin")).to_contain_text("El funcionario finalizó la conversación", timeout=WAIT)
    expect(citizen.get_by_label("Su mensaje")).to_be_disabled()  # the box is no longer usable
    check_accessibility(citizen, "workspace-citizen-ended")
    go_offline(agent1)
    go_offline(agent2)


def test_logout_ends_the_session_on_the_server(server: str, browser: Browser) -> None:
    agent = page_for(browser)
    log_in(agent, f"{server}/agents", AGENT1)
    expect(agent.locator("#estado-actual")).to_be_visible(timeout=WAIT)
    token = agent.evaluate("sessionStorage.getItem('pasto195.agent.token')")
    agent.get_by_role("button", name="Cerrar sesión").click()
    expect(agent.get_by_role("button", name="Ingresar")).to_be_visible(timeout=WAIT)
    expect(agent.get_by_role("status").filter(has_text="Sesión cerrada")).to_be_visible()
    status = agent.evaluate(
        "async (t) => (await fetch('/api/v1/auth/me', {headers: {Authorization: 'Bearer ' + t}})).status",
        token,
    )
    assert status == 401  # the token is revoked, not only forgotten by the page
    agent.reload()
    expect(agent.get_by_role("button", name="Ingresar")).to_be_visible(timeout=WAIT)


def test_inbox_search_detail_and_actions_by_keyboard_with_screenshots(server: str, browser: Browser) -> None:
    radicado = file_pqrd(server, "Alumbrado apagado en el parque Bolívar", "1085777333")
    file_pqrd(server, "Hueco en la calle 18", "1085777444")
    agent = page_for(browser)
    log_in(agent, f"{server}/agents", AGENT1)
    inbox = agent.get_by_role("region", name="Bandeja de PQRD")
    expect(inbox).to_be_visible(timeout=WAIT)
    unassigned = inbox.get_by_role("button", name=re.compile("Sin asignar en mis colas"))
    expect(unassigned).to_contain_text(re.compile(r"[1-9]"), timeout=WAIT)

    # Keyboard only: the view, the search by document, the row, the detail, an action.
    unassigned.focus()
    agent.keyboard.press("Enter")
    expect(unassigned).to_have_attribute("aria-pressed", "true")
    search = inbox.get_by_label("Buscar")
    search.focus()
    agent.keyboard.type("1085777333")
    rows = inbox.locator("li.fila")
    expect(rows).to_have_count(1, timeout=WAIT)
    expect(rows.first).to_contain_text(radicado)
    expect(rows.first).to_contain_text(re.compile(r"vence en \d+ días hábiles"))
    rows.first.get_by_role("button").focus()
    agent.keyboard.press("Enter")
    detail = agent.get_by_role("region", name=f"PQRD {radicado}")
    expect(detail).to_contain_text("Solicito la reparación del alumbrado", timeout=WAIT)
    expect(agent.locator("#titulo-detalle")).to_be_focused()
    expect(detail.get_by_role("complementary", name="Ficha del ciudadano")).to_contain_text("Rosa Delgado")
    expect(detail.get_by_role("list", name="Línea de tiempo del término legal")).to_contain_text(
        "Recibida (día 0)"
    )
    expect(detail).to_contain_text("Acuse de recibo enviado al ciudadano")
    assert "acknowledged" not in detail.inner_text()
    check_accessibility(agent, "workspace-detail")

    action = detail.get_by_label("Acción", exact=True)
    action.focus()
    action.select_option("answer")
    agent.keyboard.press("Tab")
    agent.keyboard.press("Tab")  # the submit button, with the answer still empty
    agent.keyboard.press("Enter")
    expect(detail.locator(".error-campo")).to_contain_text("Escriba respuesta al ciudadano")
    action.select_option("take")
    detail.get_by_role("button", name="Aplicar").focus()
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("status").filter(has_text=f"{radicado}: Tomar")).to_be_visible(timeout=WAIT)
    search.fill("")
    mine = inbox.get_by_role("button", name=re.compile("^Mías"))
    expect(mine).to_contain_text(re.compile(r"[1-9]"), timeout=WAIT)
    action.select_option("start")
    detail.get_by_role("button", name="Aplicar").click()
    expect(detail).to_contain_text("Pasó a En trámite", timeout=WAIT)
    mine.click()
    check_accessibility(agent, "workspace-inbox")
    shoot(agent, "detail")
    detail.get_by_role("button", name="Cerrar detalle").click()
    shoot(agent, "inbox")


def test_wallboard_cards_force_presence_and_reassign_by_name(server: str, browser: Browser) -> None:
    radicado = file_pqrd(server, "Poda de árboles en el barrio Obrero", "1085777555")
    supervisor = page_for(browser)
    log_in(supervisor, f"{server}/supervisor", SUPERVISOR)
    card = supervisor.locator('[data-queue="atencion_general"]')
    expect(card).to_contain_text("Espera más larga", timeout=WAIT)
    expect(card.locator(".espera-larga")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    row = supervisor.get_by_role("row").filter(has_text=AGENT1_NAME)
    row.get_by_label(f"Nuevo estado de {AGENT1_NAME}").select_option("away")
    row.get_by_label(f"Motivo de la ausencia de {AGENT1_NAME}").fill("Reunión de área")
    row.get_by_role("button", name="Cambiar").click()
    expect(row).to_contain_text("Ausente (Reunión de área)", timeout=WAIT)
    form = supervisor.get_by_role("region", name="Reasignar una PQRD")
    form.get_by_label("Radicado").fill(radicado)
    form.get_by_label("Funcionario").select_option(
        label=form.get_by_label("Funcionario").locator("option", has_text=AGENT1_NAME).inner_text().strip()
    )
    form.get_by_label("Motivo").fill("Carga equilibrada")
    form.get_by_role("button", name="Reasignar").click()
    expect(supervisor.get_by_role("status").filter(has_text=f"reasignada a {AGENT1_NAME}")).to_be_visible(
        timeout=WAIT
    )
    assert "Time" not in supervisor.inner_text("main")
    check_accessibility(supervisor, "workspace-wallboard")
    shoot(supervisor, "wallboard")
    row.get_by_label(f"Nuevo estado de {AGENT1_NAME}").select_option("offline")
    row.get_by_role("button", name="Cambiar").click()


def test_browsers_get_a_spanish_error_page_and_the_api_keeps_json(server: str, browser: Browser) -> None:
    page = page_for(browser)
    response = page.goto(f"{server}/no-existe")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Página no encontrada")
    check_accessibility(page, "workspace-404")
    api = page.evaluate(
        "async () => { const r = await fetch('/api/v1/no-existe'); return [r.status, await r.json()]; }"
    )
    assert api[0] == 404 and api[1]["error"]["code"]
