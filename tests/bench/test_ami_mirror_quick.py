"""`python -m bench.bench_ami_mirror --quick` applies the replayed capture and reports sane figures."""

from __future__ import annotations

import json

import pytest

from bench.bench_ami_mirror import main


def test_ami_mirror_bench_quick_applies_every_loop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["bench"] == "ami_mirror" and figures["handler_errors"] == 0
    assert figures["events"] >= 3_000
    # Every loop is renamed into a new call, so nearly every typed event becomes a new row.
    assert 0 < figures["applied"] <= figures["typed_events"]
    assert figures["applied_per_s"] > 0 and figures["baseline_typed_per_s"] > 0
    # Straight into the database: every typed event of every renamed loop is a new row.
    assert 0 < figures["db_applied"] <= figures["db_typed_events"] and figures["db_applied_per_s"] > 0
