"""`python -m bench.bench_router_e2e --quick` runs on PostgreSQL and reports sane figures."""

from __future__ import annotations

import json

import pytest

from bench.bench_router_e2e import main


def test_router_e2e_quick_assigns_every_item_and_times_offers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["assignments_per_second"] > 0
    assert report["baseline_single_row_update_tx_per_second"] > 0
    assert report["cpu_ms_per_assignment"] > 0 and report["load_average_1m"] >= 0
    latency = report["available_to_offer_ms"]
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert report["sizes"]["items"] == 30 and report["targets"]["assignments_per_second"] == 500.0
