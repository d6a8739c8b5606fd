"""deploy/systemd: every unit passes `systemd-analyze verify` without a warning, is hardened, and the
environment file documents every variable the configuration reads."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contact_center.core.config import Settings
from contact_center.operations.retention import RetentionSettings
from tests.support.server import CLI, ROOT

UNITS = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "pasto195.env.example"
SERVICES = ["pasto195-web@.service", "pasto195-worker@.service", "pasto195-retention.service",
            "pasto195-backup.service"]  # fmt: skip
HARDENING = {
    "User": "pasto195",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "ProtectSystem": "strict",
    "KillMode": "control-group",
}
LONG_RUNNING = ["pasto195-web@.service", "pasto195-worker@.service"]


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def _instances(tmp_path: Path) -> list[Path]:
    """The units as installed, with instance names, and ExecStart pointing at this checkout."""
    made = []
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/pasto195/.venv/bin/contact-center", str(CLI))
        name = unit.name.replace("@.", "@8081." if "web@" in unit.name else "@1.")
        (tmp_path / name).write_text(text)
        made.append(tmp_path / name)
    return made


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    units = _instances(tmp_path)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True, text=True, check=False, env={"SYSTEMD_UNIT_PATH": f"{tmp_path}:"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings: none allowed


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened(name: str) -> None:
    service = _unit(name)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, (name, key)
    assert service.get("ReadWritePaths"), name
    assert "\nEnvironmentFile=/etc/pasto195/pasto195.env\n" in (UNITS / name).read_text(), name
    assert service.get("TimeoutStopSec"), name


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_restart_and_belong_to_the_target(name: str) -> None:
    unit = _unit(name)
    assert unit["Service"]["Restart"] == "always"
    assert unit["Service"]["RestartPreventExitStatus"] == "2"  # a bad variable does not loop
    assert unit["Unit"]["PartOf"] == "pasto195.target"
    assert unit["Install"]["WantedBy"] == "pasto195.target"


def test_web_instances_listen_on_their_instance_port() -> None:
    exec_start = _unit("pasto195-web@.service")["Service"]["ExecStart"]
    assert exec_start.endswith("serve --host 127.0.0.1 --port %i")


def test_target_wants_web_instances_and_a_worker() -> None:
    text = (UNITS / "pasto195.target").read_text()
    assert re.search(r"pasto195-web@\d+\.service.*pasto195-web@\d+\.service", text)
    assert "pasto195-worker@1.service" in text


def test_environment_file_documents_every_variable() -> None:
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    fields = {name.upper() for name in (*Settings.model_fields, *RetentionSettings.model_fields)}
    set_by_unit = {"HOST", "PORT", "TWILIO_API_BASE"}  # the unit sets HOST/PORT; the other is tests-only
    assert fields - set_by_unit - documented == set()
    assert documented - fields == set()  # nothing documented that no code reads
    lines = ENV_EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):  # each variable has a comment above it or its group
            assert any(lines[j].startswith("# ") for j in range(max(0, i - 6), i)), line
