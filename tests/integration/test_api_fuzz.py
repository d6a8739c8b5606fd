"""Schemathesis fuzzes every route of the OpenAPI document against a live `contact-center serve`.

Whatever it sends, valid or not, no answer is a 5xx and every answer matches the schema declared
for its status. Bounded: a few examples per operation and mode, so the run takes about a minute.
One test drives every operation itself (schemathesis' lazy pytest loader does not run on pytest 9).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.request import Request, urlopen

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("fuzz")
    env = {"DATA_DIR": str(data / "var"), "LOG_LEVEL": "WARNING", "DATABASE_URL": "", "REDIS_URL": ""}
    server = ServerProcess(env, log_path=data / "server.log")
    seeded = server.run_cli("seed-demo", "--allow-demo-accounts")
    assert seeded.returncode == 0, seeded.stderr
    with server:
        yield server


@pytest.fixture(scope="module")
def admin_headers(live_server: ServerProcess) -> dict[str, str]:
    body = json.dumps({"email": "admin@demo.pasto.gov.co", "password": "demo-195"}).encode()
    request = Request(
        f"{live_server.url}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urlopen(request, timeout=10) as resp:
        return {"Authorization": f"Bearer {json.loads(resp.read())['token']}"}


@pytest.mark.slow
def test_no_route_answers_5xx_and_every_answer_matches_its_schema(
    live_server: ServerProcess, admin_headers: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        # As the administrator, so the protected routes are exercised past the 401.
        headers = {} if operation.path == "/api/v1/auth/logout" else admin_headers
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation.as_strategy(mode), live_server.url, headers, mode)
            except Exception as exc:  # every route is fuzzed; all failures are reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)


def _fuzz(strategy: Any, base_url: str, headers: dict[str, str], mode: GenerationMode) -> None:
    @given(case=strategy)
    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=30,
        )

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # a route without inputs has no invalid request to make; any other has


def test_the_document_lists_the_pqrd_routes(live_server: ServerProcess) -> None:
    with urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=10) as resp:
        paths = json.loads(resp.read())["paths"]
    expected = {
        "/api/v1/pqrd",
        "/api/v1/pqrd/{radicado}",
        "/api/v1/pqrd/{radicado}/attachments/{attachment_id}",
    }
    assert expected <= set(paths)
