"""Browser tests' shared pieces: a seeded `contact-center serve`, Debian's chromium, axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.server import ROOT, ServerProcess

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_AXE_RUN = """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
     'best-practice']})).violations.map(v => ({id: v.id, impact: v.impact,
     targets: v.nodes.map(n => n.target.join(' '))}))"""


@contextmanager
def seeded_server(data: Path, **settings: str) -> Iterator[str]:
    """A served app on the embedded default (SQLite in `data`), with the demo city seeded; `settings`
    are more environment variables (e.g. CHAT_ABANDON_GRACE_SECONDS="1")."""
    env = {
        **settings,
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DATA_DIR": str(data),
        "LOG_FORMAT": "console",
        "SMTP_HOST": "",
    }
    server = ServerProcess(env, log_path=data / "server.log")
    seeded = server.run_cli("seed-demo", "--allow-demo-accounts")
    assert seeded.returncode == 0, seeded.stderr
    with server:
        yield server.url


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser: Browser) -> Page:
    # The pages forbid inline scripts (CSP); axe-core is injected by the test, so the CSP is bypassed.
    return browser.new_context(bypass_csp=True, locale="es-CO").new_page()


def check_accessibility(page: Page, name: str) -> None:
    """Keep a screenshot as an artifact, then fail on any serious or critical axe-core violation."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"
