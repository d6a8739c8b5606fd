"""`python -m bench.bench_import --quick` runs on both engines and reports sane figures (no timing
thresholds)."""

from __future__ import annotations

from bench.bench_import import main


def test_bench_import_quick_imports_every_row_on_both_engines_with_an_intact_chain() -> None:
    figures = main(["--quick"])
    for engine in ("sqlite", "pg"):
        assert figures[f"{engine}_imported"] == figures["rows"] == 200
        assert figures[f"{engine}_chain_ok"] is True
        assert figures[f"{engine}_rows_per_s"] > 0 and figures[f"{engine}_raw_rows_per_s"] > 0
        assert figures[f"{engine}_per_row_rows_per_s"] > 0 and figures[f"{engine}_ratio_to_raw"] > 0
