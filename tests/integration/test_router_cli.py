"""`contact-center queues list|set` and `contact-center officials skills`, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.server import ServerProcess


def test_queues_set_list_and_officials_skills_with_clear_refusals(tmp_path: Path) -> None:
    server = ServerProcess({"DATA_DIR": str(tmp_path / "var")})
    assert server.run_cli("seed-demo", "--allow-demo-accounts").returncode == 0
    made = server.run_cli(
        "queues", "set", "vias", "--name", "Vías", "--skill", "transito=6", "--sl", "15:90",
        "--step", "relax:30:2", "--step", "overflow:60:atencion_general", "--step", "callback:120",
        "--hours", "mon=07:00-12:00,14:00-18:00",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["service_level"] == {"threshold_seconds": 15, "percent": 90}
    listed = json.loads(server.run_cli("queues", "list").stdout)
    assert [q["steps"][2]["kind"] for q in listed if q["code"] == "vias"] == ["callback"]
    bad = server.run_cli("queues", "set", "vias", "--name", "x", "--step", "overflow:60:nada")
    assert bad.returncode == 2 and "no existe" in bad.stderr
    skills = server.run_cli(
        "officials", "skills", "agente1@demo.pasto.gov.co", "--skill", "salud=4", "--capacity", "chat=2"
    )
    assert skills.returncode == 0 and json.loads(skills.stdout)["capacity"] == {"chat": 2}
    unknown = server.run_cli("officials", "skills", "nadie@x.co", "--skill", "salud=4")
    assert unknown.returncode == 2 and "nadie@x.co" in unknown.stderr
