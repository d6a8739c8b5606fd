"""The officials' console bundle: its size (gzip) and the time to interactive on the embedded default.

    .venv/bin/python -m bench.bench_console [--quick]

Size: every file the built console page loads (agents_ui/dist), gzip level 9. Time to interactive: a
seeded server on SQLite, Debian's chromium, from navigation to the login form ready for input (the
Vue app mounted), median of N cold loads (N = 3 with --quick, 10 otherwise).
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import tempfile
import time
from pathlib import Path

from agents_ui.app_pages import DIST
from tests.support.browser import chromium, seeded_server


def bundle_bytes(page: str) -> tuple[int, int]:
    html = (DIST / page).read_text(encoding="utf-8")
    names = set(re.findall(r"/static/app/assets/([\w.-]+)", html))
    raw = gz = 0
    for name in names:
        data = (DIST / "assets" / name).read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 9))
    return raw, gz


def time_to_interactive(runs: int) -> list[float]:
    out = []
    with seeded_server(Path(tempfile.mkdtemp())) as url, chromium() as browser:
        for _ in range(runs):
            context = browser.new_context(locale="es-CO")
            page = context.new_page()
            start = time.perf_counter()
            page.goto(f"{url}/agents")
            page.get_by_label("Correo institucional").wait_for(state="visible")
            out.append((time.perf_counter() - start) * 1000)
            context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for page in ("console.html", "wallboard.html"):
        raw, gz = bundle_bytes(page)
        print(f"{page}: {raw / 1024:.1f} KiB, {gz / 1024:.1f} KiB gzip")
    tti = time_to_interactive(3 if args.quick else 10)
    runs = ", ".join(f"{t:.0f}" for t in tti)
    print(f"console time to interactive: median {statistics.median(tti):.0f} ms (runs: {runs})")


if __name__ == "__main__":
    main()
