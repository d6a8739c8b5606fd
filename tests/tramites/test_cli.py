"""`contact-center tramites import FILE` (JSON and CSV, all or nothing, errors by row) and
`contact-center tramites export`, through the installed command on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import services
from tests.support.server import ServerProcess


def row(name: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "dependencia": "hacienda",
        "purpose": "Un trámite de prueba para la importación.",
        "voice_summary": "Resumen para el teléfono del trámite de prueba.",
        "chat_answer": "Respuesta para el chat del trámite de prueba.",
        "also_known_as": ["prueba"],
        "legal_basis": [{"norma": "Ley 1755 de 2015", "articles": "art. 14"}],
    }
    return base | overrides


@pytest.fixture
def server(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> ServerProcess:
    env = {"DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": "tramites-cli-test-secret-of-32-bytes+"}
    if backend == "postgres":
        url: str = request.getfixturevalue("pg_url")
        services.run_sync(services.truncate_all(url.replace("+asyncpg", "")))
        env["DATABASE_URL"] = url
    proc = ServerProcess(env)
    assert proc.run_cli("db", "upgrade").returncode == 0
    seeded = proc.run_cli("seed-demo", "--allow-demo-accounts")
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["tramites_created"] == 20
    assert json.loads(proc.run_cli("seed-demo", "--allow-demo-accounts").stdout)["tramites_created"] == 0
    return proc


def exported(server: ServerProcess) -> dict[str, dict[str, Any]]:
    out = server.run_cli("tramites", "export")
    assert out.returncode == 0, out.stderr
    return {r["slug"]: r for r in json.loads(out.stdout)}


def test_import_is_all_or_nothing_with_errors_by_row(server: ServerProcess, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                row("Trámite bueno"),
                row("Trámite malo", dependencia="no-existe"),
                row("Sin propósito", purpose=""),
                row("Trámite bueno"),  # the same slug twice
            ]
        ),
        "utf-8",
    )
    out = server.run_cli("tramites", "import", str(bad))
    assert out.returncode == 1
    assert "3 fila(s) con errores; no se importó nada." in out.stderr
    assert "fila 2: dependencia: 'no-existe' no existe" in out.stderr
    assert "fila 3: purpose:" in out.stderr
    assert "fila 4: slug: 'tramite-bueno' repetido (fila 1)" in out.stderr
    assert "tramite-bueno" not in exported(server)  # the good row was not imported either

    good = tmp_path / "good.json"
    good.write_text(json.dumps([row("Trámite bueno"), row("Otro trámite", status="draft")]), "utf-8")
    done = server.run_cli("tramites", "import", str(good), "--reason", "Carga inicial")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"created": 2, "new_versions": 0, "published": 1}
    catalogue = exported(server)
    assert catalogue["tramite-bueno"]["status"] == "published"
    assert catalogue["otro-tramite"]["status"] == "draft"
    assert len(catalogue) == 22


def test_csv_round_trip(server: ServerProcess, tmp_path: Path) -> None:
    csv_out = server.run_cli("tramites", "export", "--format", "csv")
    assert csv_out.returncode == 0, csv_out.stderr
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("slug,status,name,")
    assert len(lines) == 21
    # Edit one trámite in the CSV and import it back: a new version of that one, nothing else lost.
    edited = csv_out.stdout.replace("Consultar, liquidar y pagar", "Consultar y pagar")
    path = tmp_path / "catalogo.csv"
    path.write_text(edited, "utf-8")
    done = server.run_cli("tramites", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"created": 0, "new_versions": 20, "published": 20}
    catalogue = exported(server)
    assert catalogue["impuesto-predial"]["purpose"].startswith("Consultar y pagar")
    assert catalogue["licencia-de-conduccion"]["also_known_as"] == [
        "pase",
        "pase de conducir",
        "licencia de conducir",
        "renovación del pase",
    ]
    broken = tmp_path / "broken.csv"
    broken.write_text(
        lines[0] + "\n" + 'x,published,Nombre válido,,,hacienda,,,no,,,"{no json",,,,,,,,\n', "utf-8"
    )
    out = server.run_cli("tramites", "import", str(broken))
    assert out.returncode == 1
    assert "fila 1:" in out.stderr
