"""The catalogue search benchmark runs in its quick mode on both engines and its figures are sane
(no timing thresholds: the machine is shared)."""

from __future__ import annotations

from bench.bench_tramites import QUERIES, main


def test_bench_tramites_quick_gives_sane_figures() -> None:
    result = main(["--quick"])
    for engine in ("sqlite", "postgres"):
        figures = result[engine]
        assert figures["tramites"] == 200
        for kind in ("search", "like"):
            assert figures[kind]["requests"] == 40
            assert 0 < figures[kind]["p50_ms"] <= figures[kind]["p99_ms"]
        # The Spanish search finds what every citizen-style query means; LIKE misses accents,
        # plurals, typos and word order.
        assert figures["search_found_top3"] == len(QUERIES)
        assert figures["like_found_top3"] < len(QUERIES)
