"""`python -m bench.bench_limits --quick`: the floods hit the limits on SQLite and on PostgreSQL with
Redis (counts of answers, no timing thresholds)."""

from __future__ import annotations

import pytest

from bench.bench_limits import main


@pytest.mark.parametrize("args", [["--engine", "sqlite"], ["--engine", "postgres", "--redis"]])
def test_bench_limits_quick_floods_are_held(args: list[str]) -> None:
    figures = main(["--quick", *args])
    assert figures["login_one_address"]["answers"] == {401: 10, 429: 30}
    assert figures["owner_login_during_distributed_flood"] == 200
    assert figures["login_many_addresses"]["answers"].get(401, 0) <= 5
    assert figures["filing_one_address"]["answers"] == {201: 20, 429: 20}
