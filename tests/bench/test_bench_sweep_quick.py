"""`python -m bench.bench_sweep --quick` runs and reports sane figures (no timing thresholds)."""

from __future__ import annotations

from bench.bench_sweep import main


def test_bench_sweep_quick_reports_the_index_and_every_due_ticket_enqueued() -> None:
    figures = main(["--quick"])
    assert figures["uses_index"] is True
    assert figures["due_found"] == figures["due"] == figures["swept"] == 100
    assert figures["query_s_small"] > 0 and figures["query_s_large"] > 0
    assert figures["sweep_jobs_per_s"] > 0 and figures["one_by_one_jobs_per_s"] > 0
