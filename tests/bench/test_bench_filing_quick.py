"""`python -m bench.bench_filing --quick` runs end to end and reports sane figures."""

from __future__ import annotations

import json

import pytest

from bench.bench_filing import main


@pytest.mark.slow
def test_quick_filing_benchmark_reports_sane_figures(capsys: pytest.CaptureFixture[str]) -> None:
    figures = main(["--quick"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last)["clients"] == 4
    assert figures["pg_count"] > 0 and figures["sqlite_count"] > 0
    assert figures["pg_errors"] == 0 and figures["sqlite_errors"] == 0
    assert figures["pg_raw_inserts_per_s"] > 0 and figures["pg_ratio_to_raw"] > 0
    assert 0 < figures["pg_p50_ms"] <= figures["pg_p99_ms"]
