"""`python -m bench.bench_matching --quick` measures the core and the naive scan on the same work."""

from __future__ import annotations

import json

import pytest

from bench.bench_matching import main


def test_matching_bench_quick_reports_core_and_naive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    decisions = report["decisions"]
    for kind in ("match_item", "match_official"):
        core, naive = decisions[kind]["core"], decisions[kind]["naive"]
        assert core["n"] == report["sizes"]["core_samples"] and naive["n"] == report["sizes"]["naive_samples"]
        assert 0 < core["p50_us"] <= core["p99_us"]
        assert report["speedup_p50"][kind] > 0
    assert report["machine"]["cpu_count"] >= 1
