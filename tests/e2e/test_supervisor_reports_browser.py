"""The supervisor loads the PQRD report on the dashboard in Debian's chromium: two PQRDs filed through
the API show up as 2 received in the summary, the received/answered chart is drawn, the CSV link is
the same query with format=csv; axe-core finds no serious or critical problem; screenshot kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import expect

from tests.support.browser import check_accessibility, chromium, new_page, seeded_server

pytestmark = pytest.mark.browser
WAIT = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(Path(tmp_path_factory.mktemp("reports"))) as url:
        yield url


def file_pqrd(url: str, pqrd_type: str, subject: str) -> None:
    body = {
        "type": pqrd_type,
        "subject": subject,
        "description": "Solicito atención a este asunto, que afecta a los vecinos del barrio hace meses.",
        "citizen": {"name": "Ana Pérez", "document_type": "CC", "document_number": "1085123456"},
        "anonymous": False,
        "data_consent": True,
        "notify_by_email": False,
    }
    request = Request(
        f"{url}/api/v1/pqrd", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urlopen(request, timeout=10) as resp:
        assert resp.status == 201


def test_supervisor_loads_the_pqrd_report_with_chart_table_and_csv_link(server: str) -> None:
    file_pqrd(server, "peticion", "Hueco en la carrera 27")
    file_pqrd(server, "queja", "Demora en la atención de la ventanilla")
    with chromium() as browser:
        page = new_page(browser)
        page.goto(f"{server}/supervisor")
        page.get_by_label("Correo institucional").fill("supervisor@demo.pasto.gov.co")
        page.get_by_label("Contraseña").fill("demo-195")
        page.get_by_role("button", name="Ingresar").click()
        section = page.get_by_role("region", name="Informe de PQRD")
        expect(section).to_be_visible(timeout=WAIT)
        assert section.get_by_label("Agrupar por").input_value() == "day"
        assert section.get_by_label("Desde").input_value() < section.get_by_label("Hasta").input_value()

        section.get_by_role("button", name="Ver informe").click()
        expect(page.locator("#informe-estado")).to_contain_text("2 PQRD recibidas", timeout=WAIT)
        received = section.locator("#informe-resumen tr").filter(has_text="Recibidas")
        expect(received.locator("td")).to_have_text("2")
        expect(section.locator("#informe-grafica canvas")).to_have_count(1)
        by_type = section.locator("#informe-tipos tr")
        expect(by_type).to_have_count(2)
        expect(by_type.filter(has_text="Queja").locator("td").first).to_have_text("1")

        link = section.get_by_role("link", name="Descargar CSV")
        href = link.get_attribute("href") or ""
        params = parse_qs(urlsplit(href).query)
        assert params["format"] == ["csv"] and params["group_by"] == ["day"]
        assert params["from"] == [section.get_by_label("Desde").input_value()]

        check_accessibility(page, "supervisor-reports")
