"""Schemathesis against a live `contact-center serve` on SQLite and on PostgreSQL, every check on.

    .venv/bin/python -m bench.fuzz_api [--engines sqlite,postgres] [--max-examples 10]

Per engine: a fresh database with the demo city, an administrator's token on every request (the
log-out operation is left out: it would revoke that token), `schemathesis run --checks all`; the
figures (operations, requests, failures of each check) are read from its NDJSON report and
printed as one JSON object per engine. Rate limits and quotas stay at their defaults, except the
filing and registration quotas (raised, as in the test suite, so the fuzzer's filings are served).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from tests.support import services
from tests.support.server import ServerProcess

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SECRET = "fuzz-secret-key-of-at-least-32-bytes!"


def admin_token(url: str) -> str:
    body = json.dumps({"email": "admin@demo.pasto.gov.co", "password": "demo-195"}).encode()
    request = Request(f"{url}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=30) as resp:
        return str(json.loads(resp.read())["token"])


def engine_env(engine: str, work: Path) -> tuple[dict[str, str], str | None]:
    env = {"DATA_DIR": str(work / "var"), "LOG_LEVEL": "WARNING", "REDIS_URL": "", "SECRET_KEY": SECRET}
    if engine == "sqlite":
        return {**env, "DATABASE_URL": ""}, None
    name = services.unique_name("p195_fuzz")
    return {**env, "DATABASE_URL": services.run_sync(services.create_database(name))}, name


def fuzz(engine: str, max_examples: int, work: Path) -> dict[str, Any]:
    env, database = engine_env(engine, work)
    server = ServerProcess(env, log_path=work / f"{engine}.log")
    try:
        for command in (["db", "upgrade"], ["seed-demo", "--allow-demo-accounts"]):
            done = server.run_cli(*command)
            assert done.returncode == 0, done.stderr
        with server:
            report = work / f"{engine}.ndjson"
            args = [
                str(SCHEMATHESIS), "run", f"{server.url}/api/v1/openapi.json",
                "--checks", "all", "--max-examples", str(max_examples),
                "-H", f"Authorization: Bearer {admin_token(server.url)}",
                "--exclude-path", "/api/v1/auth/logout",
                "--request-timeout", "30", "--suppress-health-check", "all",
                "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color",
            ]  # fmt: skip
            run = subprocess.run(args, capture_output=True, text=True, check=False, timeout=3600)
            (work / f"{engine}.out").write_text(run.stdout + run.stderr)
            return {"engine": engine, **summarize(report), "exit_code": run.returncode}
    finally:
        if database is not None:
            services.run_sync(services.drop_database(database))


def summarize(report: Path) -> dict[str, Any]:
    """Operations, requests and per-check passed/failed counts from the NDJSON events."""
    operations: set[str] = set()
    requests = 0
    checks: dict[str, Counter[str]] = {}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for kind, data in event.items():
            if kind == "ScenarioFinished":
                recorder = data.get("recorder", {})
                operations.add(recorder.get("label", ""))
                requests += sum(
                    len(v) if isinstance(v, list) else 1 for v in recorder.get("interactions", {}).values()
                )
                for results in recorder.get("checks", {}).values():
                    for check in results:
                        status = str(check.get("status", "")).lower()
                        checks.setdefault(check["name"], Counter())[
                            "failed" if "fail" in status else "passed"
                        ] += 1
    operations.discard("")
    return {
        "operations": len(operations),
        "requests": requests,
        "checks": {name: dict(counts) for name, counts in sorted(checks.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--keep", help="directory for the server logs and reports")
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="p195-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    for engine in args.engines.split(","):
        print(json.dumps(fuzz(engine, args.max_examples, work)), flush=True)
    print(f"reports and logs in {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
