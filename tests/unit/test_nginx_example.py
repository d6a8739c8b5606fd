"""deploy/nginx-pasto195.conf is valid nginx and rate-limits log-ins and filings per client."""

from __future__ import annotations

import re
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx-pasto195.conf"


def _location_block(text: str, path: str) -> str:
    match = re.search(r"location = " + re.escape(path) + r"\s*\{(?P<body>[^}]*)\}", text)
    assert match, f"no location for {path}"
    return match.group("body")


def test_login_and_filing_locations_carry_limit_req() -> None:
    text = CONF.read_text()
    for path in ("/api/v1/auth/login", "/api/v1/app/login", "/api/v1/app/register"):
        assert "limit_req zone=pasto195_login" in _location_block(text, path)
    for path in ("/api/v1/pqrd", "/api/v1/app/pqrd", "/portal/pqrd"):
        assert "limit_req zone=pasto195_filing" in _location_block(text, path)
    assert "limit_req_status 429;" in text


# `nginx -t` on the example, and a real nginx in front of `serve`: tests/operations/test_nginx_conf.py.
