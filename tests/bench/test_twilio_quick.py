"""`python -m bench.bench_twilio --quick` runs and reports sane figures (no timing thresholds)."""

from __future__ import annotations

import json

import pytest

from bench.bench_twilio import main


def test_twilio_bench_quick_reports_latencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["bench"] == "twilio"
    for route in ("hello", "twilio_voice", "twilio_gather"):
        assert figures[route]["requests"] == 50
        assert 0 < figures[route]["p50_ms"] <= figures[route]["p99_ms"] <= figures[route]["max_ms"]
