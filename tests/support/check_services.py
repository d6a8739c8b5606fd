"""`python -m tests.support.check_services`: fail early, and clearly, when a service is down."""

from __future__ import annotations

import sys

from tests.support.services import check_services, run_sync


def main() -> int:
    problems = run_sync(check_services())
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        print(
            "The tests use the real PostgreSQL 15 and Redis 7 on 127.0.0.1; start them first.",
            file=sys.stderr,
        )
        return 1
    print("services: PostgreSQL ok, Redis ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
