"""The domain and the pure cores import no I/O library (checked by import-linter's contract)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken" in result.stdout or "0 broken" in result.stdout


def test_the_domain_package_really_has_modules_to_check() -> None:
    # Guards the check above against passing vacuously on an empty package.
    modules = list((ROOT / "contact_center" / "domain").glob("*.py"))
    assert len(modules) >= 4
