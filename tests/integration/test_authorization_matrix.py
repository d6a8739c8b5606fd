"""The authorization matrix (issue 14): every operation of the OpenAPI document and every client event
of docs/events.md, called by every kind of caller on an object of their own side and on one of the
other side, through HTTP and real socket.io clients; the expected outcome is declared once per
operation in `TABLE`, and an operation or event without a row fails the test.

Sides: "own" is the Oficina de Atención al Ciudadano's side — a PQRD of its dependencia filed by
citizen A, a chat of its queue attended by agente1, agente1's offer and work item —, "other" is
Salud's — citizen B's PQRD, agente2's chat, offer and work item. Callers: anonymous, citizen A,
citizen B, agente1 (agent of the owning dependencia), agente2 (agent of another), the supervisor
(Atención al Ciudadano), the admin, and agente1's revoked token.

Outcomes: `ok` — authorization passed (any answer but 401, 403 and 404 `not_found`; the operation
may still refuse the request on its merits, 400 or 409); `denied` — 401 or 403 (a socket whose
connection is refused); `hidden` — 404 `not_found`, the answer for what does not exist.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from contact_center.app import create_app
from contact_center.core.clock import FakeClock
from contact_center.core.config import load_settings
from contact_center.core.db.models import Conversation, Official, Queue, Ticket
from contact_center.core.db.routing_models import RoutingOffer, WorkItem
from contact_center.core.http.keys import UOW
from tests.conftest import START, TEST_SECRET
from tests.integration.test_citizen_app import verified_citizen
from tests.support import chat_clients, services
from tests.support.chat_clients import Peer, seed_before_start

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
ANON, CIT_A, CIT_B, AGENT, AGENT_OTHER, SUP, ADMIN, REVOKED = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "agent_own_dependencia",
    "agent_other_dependencia",
    "supervisor",
    "admin",
    "revoked_token",
)
CALLERS = (ANON, CIT_A, CIT_B, AGENT, AGENT_OTHER, SUP, ADMIN, REVOKED)
OK, DENIED, HIDDEN = "ok", "denied", "hidden"
Policy = dict[str, tuple[str, str]]  # caller -> (outcome on own object, outcome on other's)


def _policy(default: str, **by_caller: tuple[str, str]) -> Policy:
    return {c: by_caller.get(c, (default, default)) for c in CALLERS}


NON_OFFICIALS = {c: (DENIED, DENIED) for c in (ANON, CIT_A, CIT_B, REVOKED)}
PUBLIC = _policy(OK)
OFFICIAL = _policy(OK, **NON_OFFICIALS)
SUPERVISOR_ROLE = _policy(
    OK, **NON_OFFICIALS, agent_own_dependencia=(DENIED, DENIED), agent_other_dependencia=(DENIED, DENIED)
)
ADMIN_ROLE = _policy(DENIED, admin=(OK, OK))
DEPENDENCIA_SCOPE = _policy(
    OK,
    **NON_OFFICIALS,
    agent_own_dependencia=(OK, HIDDEN),
    agent_other_dependencia=(HIDDEN, OK),
    supervisor=(OK, HIDDEN),
)
OFFER = _policy(
    HIDDEN, **NON_OFFICIALS, agent_own_dependencia=(OK, HIDDEN), agent_other_dependencia=(HIDDEN, OK)
)
CITIZEN_ACCOUNT = _policy(DENIED, citizen_a=(OK, OK), citizen_b=(OK, OK))
CITIZEN_CASE = _policy(DENIED, citizen_a=(OK, HIDDEN), citizen_b=(HIDDEN, OK))
ACCESS_CODE = _policy(OK, **{c: (OK, HIDDEN) for c in CALLERS})  # every caller holds the own code
ATTACHMENT = {**DEPENDENCIA_SCOPE, ANON: (OK, HIDDEN)}  # anonymous: with the own access code
SUPERVISE_OFFICIAL = {**SUPERVISOR_ROLE, SUP: (OK, DENIED)}  # 403 other_dependencia
SUPERVISE_TICKET = {**SUPERVISOR_ROLE, SUP: (OK, HIDDEN)}


@dataclass(frozen=True)
class Row:
    """One operation: who may do it on which side, and the request that asks for it."""

    policy: Policy
    body: Any = None  # a dict, or a function of the side's objects
    path: dict[str, str] = field(default_factory=dict)  # path parameter -> object key
    query: dict[str, str] = field(default_factory=dict)
    multipart: bool = False
    fresh_token: bool = False  # the call ends the session: log in anew for it


TICKET = {"radicado": "radicado"}
CASE = {"ticket_id": "ticket_id"}
TRAMITE = {"slug": "tramite"}
REASON = {"reason": "Revisión de permisos"}
TABLE: dict[str, Row] = {
    # -- officials' session
    # Public routes are asked with a body they refuse on its merits (400): no password hashing.
    "POST /api/v1/auth/login": Row(PUBLIC, {"email": "despacho@demo.pasto.gov.co", "password": ""}),
    "POST /api/v1/auth/logout": Row(OFFICIAL, fresh_token=True),
    "GET /api/v1/auth/me": Row(OFFICIAL),
    # -- the mobile app
    "POST /api/v1/app/register": Row(
        PUBLIC, {"email": "x", "password": "x", "name": "x", "data_consent": True}
    ),
    "POST /api/v1/app/verify-email": Row(PUBLIC, {"token": "not-a-code"}),
    "POST /api/v1/app/login": Row(PUBLIC, {"email": "ciudadana.a@example.co", "password": ""}),
    "POST /api/v1/app/logout": Row(CITIZEN_ACCOUNT, fresh_token=True),
    "GET /api/v1/app/cases": Row(CITIZEN_ACCOUNT),
    "GET /api/v1/app/cases/{ticket_id}": Row(CITIZEN_CASE, path=CASE),
    "POST /api/v1/app/cases/{ticket_id}/reply": Row(CITIZEN_CASE, {"text": "Adjunto lo pedido."}, path=CASE),
    "POST /api/v1/app/cases/{ticket_id}/attachments": Row(CITIZEN_CASE, path=CASE, multipart=True),
    "POST /api/v1/app/pqrd": Row(CITIZEN_ACCOUNT, {"subject": "Asunto", "description": "Texto"}),
    # -- PQRD filing and following
    "POST /api/v1/pqrd": Row(PUBLIC, {"type": "peticion", "subject": "", "description": ""}),
    "GET /api/v1/pqrd/deadline": Row(
        PUBLIC, query={"type": "peticion", "filed_at": "2026-11-23T10:00:00-05:00"}
    ),
    "GET /api/v1/pqrd/{radicado}": Row(ACCESS_CODE, path=TICKET, query={"access_code": "own_code"}),
    "GET /api/v1/pqrd/{radicado}/attachments/{attachment_id}": Row(
        ATTACHMENT, path={**TICKET, "attachment_id": "attachment_id"}, query={"access_code": "own_code"}
    ),
    # -- officials' tickets
    "GET /api/v1/tickets": Row(OFFICIAL),
    "GET /api/v1/tickets/{radicado}": Row(DEPENDENCIA_SCOPE, path=TICKET),
    "POST /api/v1/tickets/{radicado}/assign": Row(DEPENDENCIA_SCOPE, {}, path=TICKET),
    "POST /api/v1/tickets/{radicado}/start": Row(DEPENDENCIA_SCOPE, path=TICKET),
    "POST /api/v1/tickets/{radicado}/request-completion": Row(DEPENDENCIA_SCOPE, REASON, path=TICKET),
    "POST /api/v1/tickets/{radicado}/completion-extension": Row(DEPENDENCIA_SCOPE, path=TICKET),
    "POST /api/v1/tickets/{radicado}/record-completion": Row(DEPENDENCIA_SCOPE, {}, path=TICKET),
    "POST /api/v1/tickets/{radicado}/extend": Row(
        DEPENDENCIA_SCOPE, {"new_due_date": "2020-01-01", "reasons": "x"}, path=TICKET
    ),
    "POST /api/v1/tickets/{radicado}/forward": Row(
        DEPENDENCIA_SCOPE, {"authority": "Superintendencia de Salud", "reason": "x"}, path=TICKET
    ),
    "POST /api/v1/tickets/{radicado}/answer": Row(DEPENDENCIA_SCOPE, {"answer": "Respuesta."}, path=TICKET),
    "POST /api/v1/tickets/{radicado}/close": Row(DEPENDENCIA_SCOPE, {}, path=TICKET),
    "POST /api/v1/tickets/{radicado}/desist": Row(
        DEPENDENCIA_SCOPE, {"reason": "x", "kind": "tacito"}, path=TICKET
    ),
    "POST /api/v1/tickets/{radicado}/dependencia": Row(
        DEPENDENCIA_SCOPE, {"dependencia": "no_existe", "reason": "x"}, path=TICKET
    ),
    # -- supervision and administration
    "GET /api/v1/officials": Row(SUPERVISOR_ROLE),
    "GET /api/v1/reports/pqrd": Row(SUPERVISOR_ROLE),
    "GET /api/v1/stats/queues": Row(SUPERVISOR_ROLE),
    "POST /api/v1/citizens/{citizen_id}/merge": Row(
        SUPERVISOR_ROLE, lambda o: {"into": int(o["citizen_id"]), **REASON}, path={"citizen_id": "citizen_id"}
    ),
    "POST /api/v1/admin/tickets/import": Row(ADMIN_ROLE, multipart=True),
    "GET /api/v1/admin/closures": Row(SUPERVISOR_ROLE),
    "POST /api/v1/admin/closures": Row(ADMIN_ROLE, {"day": "not-a-day", "reason": "x"}),
    "DELETE /api/v1/admin/closures/{day}": Row(ADMIN_ROLE, path={"day": "day"}),
    "GET /api/v1/admin/pqrd-terms": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/admin/pqrd-terms/{type}": Row(ADMIN_ROLE, {"term_days": 0}, path={"type": "pqrd_type"}),
    "DELETE /api/v1/admin/pqrd-terms/{type}": Row(ADMIN_ROLE, path={"type": "pqrd_type"}),
    "GET /api/v1/admin/legal-clock/settings": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/admin/legal-clock/settings": Row(ADMIN_ROLE, {"unknown": 1}),
    "GET /api/v1/routing/queues": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/routing/queues/{code}": Row(ADMIN_ROLE, {"unknown": 1}, path={"code": "queue_code"}),
    "PUT /api/v1/routing/officials/{official_id}": Row(
        ADMIN_ROLE, {"skills": {"pqrd": 99}, "capacity": {}}, path={"official_id": "official_id"}
    ),
    "GET /api/v1/routing/settings": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/routing/settings": Row(ADMIN_ROLE, {"unknown": 1}),
    "GET /api/v1/admin/escalation-coverage": Row(SUPERVISOR_ROLE),
    # -- the trámites catalogue: reading is public; changes are a supervisor's (their dependencia's,
    # checked after the body, so an empty body answers 400 to every supervisor) or an admin's
    "GET /api/v1/tramites": Row(PUBLIC),
    "GET /api/v1/tramites/{slug}": Row(PUBLIC, path=TRAMITE),
    "POST /api/v1/tramites/{slug}/feedback": Row(PUBLIC, {}, path=TRAMITE),
    "POST /api/v1/tramites": Row(SUPERVISOR_ROLE, {}),
    "PUT /api/v1/tramites/{slug}": Row(SUPERVISOR_ROLE, {}, path=TRAMITE),
    "POST /api/v1/tramites/{slug}/publish": Row(SUPERVISE_OFFICIAL, {}, path=TRAMITE),
    "POST /api/v1/tramites/{slug}/archive": Row(SUPERVISOR_ROLE, {}, path=TRAMITE),
    "GET /api/v1/tramites/{slug}/versions": Row(SUPERVISOR_ROLE, path=TRAMITE),
    "GET /api/v1/reports/tramites": Row(SUPERVISOR_ROLE),
    # -- the console's softphone and workspace (lists are scoped like GET /api/v1/tickets)
    "GET /api/v1/voice/token": Row(OFFICIAL),
    "GET /api/v1/console/work": Row(OFFICIAL),
    "GET /api/v1/console/directory": Row(OFFICIAL),
    "GET /api/v1/console/inbox": Row(OFFICIAL),
    "GET /api/v1/console/tickets/{radicado}/citizen": Row(DEPENDENCIA_SCOPE, path=TICKET),
    "GET /api/v1/admin/escalation-policy": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/admin/escalation-policy": Row(ADMIN_ROLE, {"unknown": 1}),
    "DELETE /api/v1/admin/escalation-policy": Row(ADMIN_ROLE),
    "GET /api/v1/admin/citizen-notices": Row(SUPERVISOR_ROLE),
    "PUT /api/v1/admin/citizen-notices": Row(ADMIN_ROLE, {"unknown": 1}),
    # -- /chat: no account; a visitor's own conversation is the one of its connection
    "/chat start": Row(PUBLIC, {"consent": False}),
    "/chat resume": Row(PUBLIC, {"token": "not-a-chat-token"}),
    "/chat send": Row(PUBLIC, {"client_id": "m1", "body": "hola"}),
    "/chat typing": Row(PUBLIC, {"typing": True}),
    "/chat end": Row(PUBLIC, {}),
    "/chat leave_pqrd": Row(PUBLIC, {"subject": "Asunto", "description": "Descripción"}),
    # -- /agents
    "/agents presence": Row(OFFICIAL, {"presence": "away", "reason": "Almuerzo"}),
    "/agents accept": Row(OFFER, lambda o: {"offer_id": o["offer_id"]}),
    "/agents reject": Row(OFFER, lambda o: {"offer_id": o["offer_id"]}),
    "/agents open": Row(DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"]}),
    "/agents send": Row(
        DEPENDENCIA_SCOPE,
        lambda o: {"conversation_id": o["conversation_id"], "client_id": "a1", "body": "Hola"},
    ),
    "/agents typing": Row(
        DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"], "typing": True}
    ),
    "/agents transfer": Row(
        DEPENDENCIA_SCOPE, lambda o: {"work_item_id": o["work_item_id"], "to_official_id": 2**30}
    ),
    "/agents complete": Row(DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"]}),
    "/agents convert_pqrd": Row(
        DEPENDENCIA_SCOPE,
        lambda o: {
            "conversation_id": o["conversation_id"],
            "subject": "Asunto",
            "description": "Texto",
            "dependencia": "no_existe",
        },
    ),
    "/agents canned": Row(OFFICIAL, {"query": "/saludo"}),
    "/agents tickets": Row(OFFICIAL, {}),
    "/agents ticket_action": Row(
        DEPENDENCIA_SCOPE, lambda o: {"ticket_id": int(o["ticket_id"]), "action": "start"}
    ),
    "/agents call_hold": Row(DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"]}),
    "/agents call_transfer": Row(DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"]}),
    "/agents call_hangup": Row(DEPENDENCIA_SCOPE, lambda o: {"conversation_id": o["conversation_id"]}),
    # -- /supervisors
    "/supervisors refresh": Row(SUPERVISOR_ROLE, {}),
    "/supervisors set_presence": Row(
        SUPERVISE_OFFICIAL, lambda o: {"official_id": o["agent_id"], "presence": "away", "reason": "Reunión"}
    ),
    "/supervisors reassign": Row(
        SUPERVISE_TICKET, lambda o: {"ticket_id": int(o["ticket_id"]), "dependencia": "no_existe", **REASON}
    ),
}


def catalogue_events() -> set[str]:
    """`/namespace event` of every client → server row of docs/events.md."""
    found, namespace = set(), None
    for line in (ROOT / "docs" / "events.md").read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"## (/\w+)", line):
            namespace = heading.group(1)
        cells = [c.strip() for c in line.split("|")]
        if namespace and len(cells) > 3 and cells[2] == "client → server":
            found.add(f"{namespace} {cells[1].strip('`')}")
    return found


@dataclass
class World:
    client: TestClient[Any, Any]
    tokens: dict[str, str | None]
    objects: dict[str, dict[str, Any]]  # side -> object key -> value
    credentials: dict[str, tuple[str, str]]  # caller -> (login path, e-mail) for a fresh session


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def matrix_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> tuple[str, Path]:
    """An empty, migrated database per engine for the whole module (outside the event loop)."""
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        services.run_sync(services.truncate_all(url.replace("+asyncpg", "")))
        return url, tmp
    shutil.copy(sqlite_template, tmp / "matrix.db")
    return f"sqlite+aiosqlite:///{tmp / 'matrix.db'}", tmp


@pytest.fixture(scope="module")
async def world(matrix_database: tuple[str, Path]) -> AsyncIterator[World]:
    url, tmp = matrix_database
    settings = load_settings(
        database_url=url,
        data_dir=tmp / "var",
        secret_key=TEST_SECRET,
        log_format="console",
        redis_namespace=services.unique_name("p195m"),
        public_base_url="http://testserver.local",
    )
    await seed_before_start(settings)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, clock=FakeClock(START))))
    await client.start_server()
    try:
        yield await _build(client)
    finally:
        await chat_clients.close_all()
        await client.close()


async def _official_token(client: TestClient[Any, Any], email: str) -> str:
    resp = await client.post("/api/v1/auth/login", json={"email": email, "password": "demo-195"})
    assert resp.status == 200, await resp.text()
    token: str = (await resp.json())["token"]
    return token


async def _build(client: TestClient[Any, Any]) -> World:
    emails = {
        AGENT: "agente1@demo.pasto.gov.co",
        AGENT_OTHER: "agente2@demo.pasto.gov.co",
        SUP: "supervisor@demo.pasto.gov.co",
        ADMIN: "admin@demo.pasto.gov.co",
    }
    tokens: dict[str, str | None] = {ANON: None}
    for caller, email in emails.items():
        tokens[caller] = await _official_token(client, email)
    revoked = await _official_token(client, emails[AGENT])
    assert (
        await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {revoked}"})
    ).status == 200
    tokens[REVOKED] = revoked
    citizens = {CIT_A: "ciudadana.a@example.co", CIT_B: "ciudadano.b@example.co"}
    for caller, email in citizens.items():
        tokens[caller] = (await verified_citizen(client, email))["Authorization"][7:]
    sides = {"own": (CIT_A, AGENT, "atencion_ciudadano"), "other": (CIT_B, AGENT_OTHER, "salud")}
    objects = {side: await _side(client, tokens, *spec) for side, spec in sides.items()}
    objects["other"]["own_code"] = objects["own"]["own_code"]  # callers hold the own side's code only
    credentials = {c: ("/api/v1/auth/login", e) for c, e in emails.items()}
    credentials.update({c: ("/api/v1/app/login", e) for c, e in citizens.items()})
    return World(client, tokens, objects, credentials)


async def _side(
    client: TestClient[Any, Any], tokens: dict[str, str | None], citizen: str, agent: str, dependencia: str
) -> dict[str, Any]:
    """A PQRD of the dependencia filed by the citizen (with a file), and a chat of its queue
    attended by the agent, with the agent's work item and an offer made to the agent."""
    form = FormData()
    for name, value in {
        "type": "queja",
        "subject": "Demora",
        "description": "Sin respuesta.",
        "dependencia": dependencia,
    }.items():
        form.add_field(name, value)
    form.add_field("files", PNG, filename="foto.png", content_type="image/png")
    filed = await client.post(
        "/api/v1/app/pqrd", data=form, headers={"Authorization": f"Bearer {tokens[citizen]}"}
    )
    assert filed.status == 201, await filed.text()
    receipt = await filed.json()
    status = await client.get(
        f"/api/v1/pqrd/{receipt['radicado']}", params={"access_code": receipt["access_code"]}
    )
    async with client.app[UOW]() as uow:
        ticket = await uow.session.scalar(select(Ticket).where(Ticket.radicado == receipt["radicado"]))
        me = await uow.session.scalar(
            select(Official).where(Official.email.startswith("agente1@" if agent == AGENT else "agente2@"))
        )
        queue = await uow.session.scalar(
            select(Queue).where(Queue.dependencia_id == ticket.dependencia_id).order_by(Queue.id)
        )
        assert ticket is not None and me is not None and queue is not None
        now = uow.clock.now()
        conversation = Conversation(
            channel="chat",
            external_id=f"matrix-{agent}",
            state="active",
            official_id=me.id,
            queue_id=queue.id,
            started_at=now,
        )
        uow.session.add(conversation)
        await uow.session.flush()
        item = WorkItem(
            kind="conversation",
            conversation_id=conversation.id,
            queue_id=queue.id,
            channel="chat",
            status="assigned",
            official_id=me.id,
            enqueued_at=now,
            assigned_at=now,
            updated_at=now,
        )
        uow.session.add(item)
        await uow.session.flush()
        offer = RoutingOffer(
            work_item_id=item.id,
            official_id=me.id,
            queue_id=queue.id,
            channel="chat",
            status="rejected",
            created_at=now,
            expires_at=now,
            decided_at=now,
        )
        uow.session.add(offer)
        await uow.session.flush()
        out = {
            "radicado": receipt["radicado"],
            "own_code": receipt["access_code"],
            "ticket_id": str(receipt["case_id"]),
            "attachment_id": str((await status.json())["attachments"][0]["id"]),
            "citizen_id": str(ticket.citizen_id),
            "agent_id": me.id,
            "official_id": str(me.id),
            "conversation_id": conversation.id,
            "work_item_id": item.id,
            "offer_id": offer.id,
            "day": "2026-12-24",
            "pqrd_type": "consulta",
            "queue_code": queue.code,
            # a demo trámite of the side's dependencia (seed-demo ships them)
            "tramite": "derecho-de-peticion" if dependencia == "atencion_ciudadano" else "sisben-encuesta",
        }
        await uow.commit()
    return out


def test_every_operation_and_client_event_has_exactly_one_row(openapi_operations: set[str]) -> None:
    declared = set(TABLE)
    documented = openapi_operations | catalogue_events()
    assert documented - declared == set(), "operations or events without a row in TABLE"
    assert declared - documented == set(), "rows in TABLE for operations or events that do not exist"


@pytest.fixture(scope="module")
def openapi_operations(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every operation of the document the whole app serves (features' installers add routes too)."""
    from contact_center.app import create_app
    from contact_center.core.config import load_settings
    from contact_center.core.http.api import ROUTE_SPECS
    from contact_center.core.http.openapi import build_document

    data = tmp_path_factory.mktemp("matrix-openapi")
    settings = load_settings(data_dir=str(data), secret_key="x" * 40, database_url=f"sqlite:///{data}/db")
    document = build_document(create_app(settings)[ROUTE_SPECS], title="t", version="1")
    return {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}


def _classify(status: int, body: Any) -> str:
    if status in (401, 403):
        return DENIED
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return HIDDEN if status == 404 and code == "not_found" else OK


async def _http(world: World, op: str, row: Row, caller: str, side: str) -> tuple[str, str]:
    method, template = op.split(" ", 1)
    objects = world.objects[side]
    path = template
    for name, key in row.path.items():
        path = path.replace("{" + name + "}", str(objects[key]))
    query = {k: objects.get(v, v) for k, v in row.query.items()}
    token = world.tokens[caller]
    if row.fresh_token and caller in world.credentials:
        token = await _fresh(world, caller)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    body = row.body(objects) if callable(row.body) else row.body
    if row.multipart:
        form = FormData()
        form.add_field("files", PNG, filename="foto.png", content_type="image/png")
        kwargs["data"] = form
    elif body is not None:
        kwargs["json"] = body
    world.client.session.cookie_jar.clear()  # the bearer token, or nothing: never a login's cookie
    resp = await world.client.request(method, path, **kwargs)
    payload = await resp.json() if resp.content_type == "application/json" else None
    return _classify(resp.status, payload), f"{resp.status} {payload}"[:200]


async def _fresh(world: World, caller: str) -> str:
    path, email = world.credentials[caller]
    password = "demo-195" if path == "/api/v1/auth/login" else "clave-segura-1"
    resp = await world.client.post(path, json={"email": email, "password": password})
    assert resp.status == 200
    token: str = (await resp.json())["token"]
    return token


class Sockets:
    """One connection per caller and namespace (None: the connection was refused)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.peers: dict[tuple[str, str], Peer | None] = {}

    async def peer(self, namespace: str, caller: str) -> Peer | None:
        if (namespace, caller) not in self.peers:
            token = self.world.tokens[caller]
            peer = Peer(namespace)
            try:
                await peer.connect(str(self.world.client.make_url("/")), {"token": token} if token else None)
            except socketio.exceptions.ConnectionError:  # refused
                self.peers[(namespace, caller)] = None
            else:
                self.peers[(namespace, caller)] = peer
        return self.peers[(namespace, caller)]


async def _socket(sockets: Sockets, op: str, row: Row, caller: str, side: str) -> tuple[str, str]:
    namespace, event = op.split(" ", 1)
    peer = await sockets.peer(namespace, caller)
    if peer is None:
        return DENIED, "connection refused"
    body = row.body(sockets.world.objects[side]) if callable(row.body) else row.body
    ack = await peer.call(event, body)
    error = ack.get("error") if isinstance(ack, dict) else None
    if error is None:
        return OK, str(ack)[:200]
    status = 404 if error["code"] == "not_found" else 403 if error["code"] in ("other_dependencia",) else 400
    if error["code"] in ("token_revoked", "token_expired", "account_disabled", "role_required"):
        status = 401
    return _classify(status, {"error": error}), str(error)[:200]


async def test_the_authorization_matrix(world: World) -> None:
    """Every row × caller × side; all mismatches are reported together."""
    sockets = Sockets(world)
    wrong: list[str] = []
    checks = 0
    for op, row in TABLE.items():
        for caller in CALLERS:
            for index, side in enumerate(("own", "other")):
                expected = row.policy[caller][index]
                call = (
                    _socket(sockets, op, row, caller, side)
                    if op.startswith("/")
                    else _http(world, op, row, caller, side)
                )
                got, detail = await call
                checks += 1
                if got != expected:
                    wrong.append(f"{op} as {caller} on {side}: expected {expected}, got {got} ({detail})")
    assert checks == len(TABLE) * len(CALLERS) * 2
    assert not wrong, f"{len(wrong)} of {checks} checks:\n" + "\n".join(wrong)
