"""The reports benchmark runs in its quick mode and its figures are sane (no timing thresholds)."""

from __future__ import annotations

from bench.bench_reports import main


def test_bench_reports_quick_gives_sane_figures() -> None:
    result = main(["--quick"])
    assert result["tickets"] == 300 and 0 < result["received_in_period"] <= 300
    assert result["same_totals"] is True
    assert result["report_ms"] > 0 and result["naive_report_ms"] > 0 and result["speedup"] > 0
    assert result["imported"] == result["import_rows"] == 20
    assert result["import_rows_per_s"] > 0 and result["validate_rows_per_s"] > 0
