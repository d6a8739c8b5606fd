"""`python -m bench.bench_sqlite_tx --quick`: a SQLite transaction through the unit of work needs
no more hand-offs to aiosqlite's thread than the same transaction on raw aiosqlite."""

from __future__ import annotations

from bench.bench_sqlite_tx import main


def test_unit_of_work_hands_off_to_aiosqlite_as_often_as_raw_aiosqlite() -> None:
    figures = main(["--quick"])
    for statements in (1, 5):
        raw = figures[f"raw aiosqlite, {statements} stmt"]["hand_offs_per_tx"]
        assert raw == statements + 2  # BEGIN IMMEDIATE, the statements, COMMIT
        for path in ("uow Core", "uow session"):
            assert figures[f"{path}, {statements} stmt"]["hand_offs_per_tx"] == raw
            assert figures[f"{path}, {statements} stmt"]["cpu_ms_per_tx"] > 0
