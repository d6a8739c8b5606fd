"""deploy/nginx-pasto195.conf is valid nginx and rate-limits log-ins and filings per client."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx-pasto195.conf"


def _location_block(text: str, pattern: str) -> str:
    match = re.search(r"location ~ \^/\(?" + pattern + r"[^{]*\{(?P<body>[^}]*)\}", text)
    assert match, f"no location for {pattern}"
    return match.group("body")


def test_login_and_filing_locations_carry_limit_req() -> None:
    text = CONF.read_text()
    assert "limit_req zone=pasto195_login" in _location_block(text, r"api/v1/\(auth/login")
    assert "limit_req zone=pasto195_filing" in _location_block(text, r"api/v1/pqrd")
    assert "limit_req_status 429;" in text


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include {CONF};\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
