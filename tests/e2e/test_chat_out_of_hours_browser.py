"""In Debian's chromium: a citizen opens the chat on a topic whose queue is closed; the page says so
instead of a place in line, opens the PQRD form, and the PQRD left there gets its radicado.
axe-core finds no serious or critical problem; screenshot in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import check_accessibility, chromium, new_page
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser
WAIT = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("out_of_hours")
    env = {
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DATA_DIR": str(data),
        "LOG_FORMAT": "console",
        "SMTP_HOST": "",
    }
    process = ServerProcess(env, log_path=data / "server.log")
    assert process.run_cli("seed-demo", "--allow-demo-accounts").returncode == 0
    # A schedule with no slot: closed whatever the real clock says when the test runs.
    closed = process.run_cli("queues", "set", "hacienda", "--name", "Hacienda", "--hours", "mon=")
    assert closed.returncode == 0, closed.stderr
    with process:
        yield process.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_a_chat_into_a_closed_queue_offers_the_pqrd_form(server: str, browser: Browser) -> None:
    citizen = new_page(browser)
    citizen.goto(f"{server}/portal/chat")
    citizen.get_by_label("Tema").select_option("hacienda")
    citizen.get_by_label("Acepto el tratamiento de mis datos según el aviso de privacidad").check()
    citizen.get_by_role("button", name="Iniciar chat").click()

    status = citizen.locator("#estado")
    expect(status).to_contain_text("está cerrada en este momento", timeout=WAIT)
    expect(status).to_contain_text("Puede dejarnos su petición")
    expect(citizen.locator("#dejar-pqrd")).to_have_attribute("open", "", timeout=WAIT)
    check_accessibility(citizen, "chat-out-of-hours")

    citizen.get_by_label("Asunto").fill("Factura del predial")
    citizen.get_by_label("Descripción").fill("No me llegó la factura del impuesto predial de este año.")
    citizen.get_by_role("button", name="Radicar solicitud").click()
    expect(citizen.locator("#radicado")).to_contain_text("quedó radicada con el número", timeout=WAIT)
