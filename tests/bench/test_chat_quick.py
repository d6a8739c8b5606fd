"""`python -m bench.bench_chat --quick` runs and reports sane figures (no timing thresholds)."""

from __future__ import annotations

import pytest

from bench.bench_chat import main

pytestmark = pytest.mark.slow


def test_quick_chat_benchmark_reports_delivery_storage_and_supervisor_figures() -> None:
    result = main(["--quick"])
    assert result["clients"] == 20
    for key in ("relay", "relay2", "one_process", "two_processes"):
        run = result[key]
        assert run["acked"] == run["sent"] == run["delivered"] > 0, (key, run)
        assert 0 < run["p50_ms"] <= run["p99_ms"] and run["rss_mb"] > 0
    for key in ("one_process", "two_processes"):
        assert result[key]["stored"] == result[key]["sent"]  # every message stored
        assert result[key]["supervisor_updates"] >= 1
