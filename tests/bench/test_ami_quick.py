"""`python -m bench.bench_ami --quick` replays the capture in a loop through the real AMI parser."""

from __future__ import annotations

import json

import pytest

from bench.bench_ami import main


def test_ami_bench_quick_parses_and_dispatches_every_loop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quick"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["bench"] == "ami" and figures["handler_errors"] == 0
    assert figures["events"] >= 20_000 and figures["loops"] > 1
    assert 0 < figures["typed_events"] < figures["events"]
    assert figures["events_per_s"] > 0 and figures["typed_per_s"] > 0
