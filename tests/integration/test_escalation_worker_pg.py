"""Escalation a city can rely on, on PostgreSQL with a real `contact-center worker`, a private Redis and a
local SMTP server (issue 17): an imported backlog alerts once per overdue PQRD, a dependencia without a
supervisor escalates to the Oficina de Atención al Ciudadano, and a worker SIGKILLed in the middle of an
escalation has it re-driven within one sweep interval after its restart, leaving no process behind."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import asyncpg
import pytest
from redis import Redis
from rq.job import Job, JobStatus
from sqlalchemy import select

from contact_center.core.clock import BOGOTA, SystemClock
from contact_center.core.db.engine import create_engine, session_factory
from contact_center.core.db.models import Ticket
from contact_center.core.jobs.rq_jobs import rq_job_id
from contact_center.core.notifier import RecordingNotifier
from contact_center.core.uow import UnitOfWorkFactory
from contact_center.pqrd.domain.escalation import EscalationPolicy, Tier, due_point, schedule
from contact_center.pqrd.domain.legal_clock import ClockFacts, PqrdType
from contact_center.pqrd.domain.tickets import TicketStatus
from contact_center.pqrd.services import actions as ticket_actions
from contact_center.pqrd.services.clock import load_clock
from contact_center.pqrd.services.tickets import Actor, NewTicket, file_ticket
from contact_center.seed import seed_demo
from tests.conftest import TEST_SECRET
from tests.integration import mail_support, test_jobs_rq
from tests.integration.escalation_support import escalation_events, eventually, official_id
from tests.integration.mail_support import Inbox
from tests.integration.test_jobs_rq import PrivateRedis
from tests.support import services
from tests.support.server import CLI

private_redis = test_jobs_rq.private_redis
smtp_port = mail_support.smtp_port
start_smtp = mail_support.start_smtp
smtp = mail_support.smtp

OFICINA = "supervisor@demo.pasto.gov.co"  # the Oficina de Atención al Ciudadano's supervisor
TRANSITO_AGENT = "agente3@demo.pasto.gov.co"  # Tránsito has agents but no supervisor in the demo city
SWEEP_SECONDS = 2.0


@pytest.fixture
async def uows(pg_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    await services.truncate_all(pg_url.replace("+asyncpg", ""))
    engine = create_engine(pg_url, pool_size=2)
    factory = UnitOfWorkFactory(session_factory(engine), RecordingNotifier(), SystemClock())
    async with factory() as uow:
        await seed_demo(uow)
    yield factory
    await engine.dispose()


def _env(pg_url: str, redis_url: str, namespace: str, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "REDIS_NAMESPACE": namespace,
        "SECRET_KEY": TEST_SECRET,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "ESCALATION_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "JOBS_RETRY_BASE_SECONDS": "1",
        "LOG_FORMAT": "console",
    }


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115  (the child process owns it)
    # Its own process group: after a SIGKILL, anything left in the group is an orphan it forked.
    return subprocess.Popen([str(CLI), "worker"], env=env, stdout=out, stderr=out, start_new_session=True)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        worker.wait(20)


async def _file(
    uows: UnitOfWorkFactory, dependencia: str, filed_at: datetime, assignee: int | None = None
) -> int:
    new = NewTicket(
        PqrdType.PETICION,
        "Semáforo dañado en la calle 18",
        "El semáforo de la calle 18 con carrera 27 lleva una semana apagado.",
        "web",
        dependencia_code=dependencia,
        filed_at=filed_at,
    )
    async with uows() as uow:
        filed = await file_ticket(uow, new, Actor("citizen"), secret=TEST_SECRET.encode())
        await uow.commit()
    if assignee is not None:
        async with uows() as uow:
            ticket = await uow.session.get(Ticket, filed.id)
            assert ticket is not None
            await ticket_actions.assign(uow, ticket, assignee, Actor("system"))
            await ticket_actions.start_work(uow, ticket, Actor("official", assignee))
            await uow.commit()
    return filed.id


async def _filed_at_supervisor_tier(uows: UnitOfWorkFactory) -> tuple[datetime, str]:
    """A filing instant whose latest due point, now, is a supervisor-tier one (not overdue yet)."""
    now = SystemClock().now()
    async with uows() as uow:
        clock = await load_clock(uow)
    for days in range(1, 60):
        filed = now - timedelta(days=days)
        points = schedule(
            EscalationPolicy(), clock, ClockFacts(PqrdType.PETICION, filed), TicketStatus.EN_TRAMITE, now
        )
        point = due_point(points, set(), now)
        if point is not None and point.key != "overdue" and point.tier == Tier.SUPERVISOR:
            return filed, point.key
    raise AssertionError("no filing date puts a petición at a supervisor-tier point today")


async def test_an_imported_backlog_sends_one_alert_per_overdue_pqrd(
    pg_url: str,
    uows: UnitOfWorkFactory,
    private_redis: PrivateRedis,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    redis_namespace: str,
) -> None:
    inbox, port = smtp
    old = (SystemClock().now() - timedelta(days=70)).astimezone(BOGOTA)
    today = SystemClock().now().astimezone(BOGOTA)
    rows = [
        f"OLD-{n};peticion;Hueco en la calle {n};Hay un hueco.;{old:%Y-%m-%d} 09:30;{dep};;;;;;pendiente;no"
        for n, dep in ((101, "transito"), (102, "gobierno"), (103, "salud"))
    ]
    rows.append(f"OLD-104;peticion;Hueco reciente;Hoy.;{today:%Y-%m-%d %H:%M};salud;;;;;;radicado;no")
    header = (
        "Radicado original;Tipo;Asunto;Descripción;Fecha radicación;Dependencia;Nombre;Tipo documento;"
        "Número documento;Correo;Teléfono;Estado;Anónimo"
    )
    csv = tmp_path / "backlog.csv"
    csv.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    env = _env(pg_url, private_redis.url, redis_namespace, port)
    cli = [str(CLI), "tickets", "import", str(csv)]
    done = await asyncio.to_thread(
        subprocess.run, cli, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    async with uows() as uow:
        tickets = (await uow.session.scalars(select(Ticket).order_by(Ticket.id))).all()
        ids = [t.id for t in tickets]
    assert len(ids) == 4
    overdue, recent = ids[:3], ids[3]

    worker = _worker(env, tmp_path / "worker.log")
    try:

        async def all_alerted() -> bool:
            return all([len(await escalation_events(uows, t)) >= 1 for t in overdue])

        await eventually(all_alerted, within=60, what="one alert per overdue PQRD")
        await eventually(lambda: _received(inbox, OFICINA, 3), within=30, what="the Oficina's three e-mails")
        await asyncio.sleep(3 * SWEEP_SECONDS)  # more sweeps: nothing else fires
    finally:
        _stop(worker)
    for ticket_id in overdue:
        events = await escalation_events(uows, ticket_id)
        assert [(e["point"], e["tier"]) for e in events] == [("overdue", 3)], events
        assert "term_50" in events[0]["overtaken"] and "left_0" in events[0]["overtaken"]
    assert await escalation_events(uows, recent) == []
    to_oficina = inbox.texts_to(OFICINA)
    assert len(to_oficina) == 3, [t[:200] for t in to_oficina]  # not 3 x 8 stale alerts
    assert all("Término vencido" in body for body in _bodies(inbox, OFICINA))


def _bodies(inbox: Inbox, address: str) -> list[str]:
    """The decoded text of every message sent to `address` alone (subject and body)."""
    found = []
    for (rcpt, _), message in zip(inbox.received, inbox.messages, strict=True):
        if rcpt == [address]:
            payload = message.get_payload(decode=True)
            assert isinstance(payload, bytes)
            subject = str(make_header(decode_header(message["Subject"])))
            found.append(f"{subject}\n{payload.decode(message.get_content_charset() or 'utf-8')}")
    return found


async def _received(inbox: Inbox, address: str, count: int) -> bool:
    return len(inbox.texts_to(address)) >= count


async def test_a_dependencia_without_a_supervisor_escalates_to_the_oficina(
    pg_url: str,
    uows: UnitOfWorkFactory,
    private_redis: PrivateRedis,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    redis_namespace: str,
) -> None:
    inbox, port = smtp
    agent = await official_id(uows, TRANSITO_AGENT)
    filed, key = await _filed_at_supervisor_tier(uows)
    assigned = await _file(uows, "transito", filed, assignee=agent)
    unassigned = await _file(uows, "gobierno", filed)
    log = tmp_path / "worker.log"
    worker = _worker(_env(pg_url, private_redis.url, redis_namespace, port), log)
    try:
        await eventually(lambda: _received(inbox, OFICINA, 2), within=60, what="two e-mails to the Oficina")
        await eventually(lambda: _received(inbox, TRANSITO_AGENT, 1), within=30, what="the agent's e-mail")
    finally:
        _stop(worker)
    for ticket_id in (assigned, unassigned):
        events = await escalation_events(uows, ticket_id)
        assert [(e["point"], e.get("fallback")) for e in events] == [(key, "atencion_ciudadano")]
    assert len(inbox.texts_to(OFICINA)) == 2 and len(inbox.texts_to(TRANSITO_AGENT)) == 1
    text = log.read_text()
    assert "escalation_without_supervisor" in text and "transito->atencion_ciudadano" in text, text[-3000:]


async def test_a_sigkilled_workers_escalation_fires_within_one_sweep_after_restart(
    pg_url: str,
    uows: UnitOfWorkFactory,
    private_redis: PrivateRedis,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    redis_namespace: str,
) -> None:
    _, port = smtp
    ticket_id = await _file(uows, "salud", SystemClock().now() - timedelta(days=40))
    redis = Redis.from_url(private_redis.url)
    job_id = rq_job_id(redis_namespace, f"esc:{ticket_id}:1")
    env = _env(pg_url, private_redis.url, redis_namespace, port)
    # Hold the ticket's row: the worker's escalation blocks on it mid-job, where the kill finds it.
    lock = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
    tx = lock.transaction()
    await tx.start()
    await lock.execute("SELECT id FROM tickets WHERE id = $1 FOR UPDATE", ticket_id)
    first = _worker(env, tmp_path / "worker-1.log")
    try:
        await eventually(lambda: _started(redis, job_id), within=60, what="the escalation job running")
        await asyncio.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        await asyncio.sleep(0.3)
        assert not _group_alive(first.pid), "the killed worker left a process behind (RQ's scheduler child)"
    finally:
        _stop(first)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        await tx.rollback()
        await lock.close()
    assert await escalation_events(uows, ticket_id) == []

    second = _worker(env, tmp_path / "worker-2.log")
    try:
        await eventually(lambda: _worker_ready(redis, redis_namespace, second.pid), within=60, what="restart")
        ready = time.monotonic()

        async def fired() -> bool:
            return len(await escalation_events(uows, ticket_id)) == 1

        await eventually(fired, within=120, what="the re-driven escalation")
        took = time.monotonic() - ready
        asked = time.monotonic()
        second.terminate()  # a graceful stop is prompt too, and takes its whole group along
        second.wait(20)
        stopping = time.monotonic() - asked
        await asyncio.sleep(0.3)
        assert not _group_alive(second.pid)
    finally:
        _stop(second)
    assert stopping < 5, f"SIGTERM took {stopping:.1f} s to stop the worker"
    print(f"re-driven {took:.2f} s after the restarted worker registered")
    assert took <= SWEEP_SECONDS + 1.5, f"re-driven {took:.1f} s after the restart"


async def _started(redis: Redis, job_id: str) -> bool:
    try:
        return Job.fetch(job_id, connection=redis).get_status() == JobStatus.STARTED
    except Exception:
        return False


async def _worker_ready(redis: Redis, namespace: str, pid: int) -> bool:
    for key in redis.scan_iter(f"{namespace}:worker-alive:*"):
        raw = redis.get(key)
        if raw is not None and json.loads(raw)["pid"] == pid:
            return True
    return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [str(CLI), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_a_month_of_deadlines_is_rehearsed_with_a_clock_offset_refused_on_production(
    pg_url: str,
    uows: UnitOfWorkFactory,
    private_redis: PrivateRedis,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    redis_namespace: str,
) -> None:
    inbox, port = smtp
    env = _env(pg_url, private_redis.url, redis_namespace, port)
    ticket_id = await _file(uows, "transito", SystemClock().now())  # filed today: nothing due for weeks
    staging = {**env, "CLOCK_OFFSET_DAYS": "30"}

    marked = await _cli(env, "db", "mark-production")
    assert marked.returncode == 0, marked.stderr
    for command in ("worker", "serve"):
        refused = await _cli(staging, command)
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        assert "CLOCK_OFFSET_DAYS" in refused.stderr and "producción" in refused.stderr
    refused_import = await _cli(staging, "escalation", "show")
    assert refused_import.returncode == 2, refused_import.stderr
    assert (await _cli(env, "db", "mark-production", "--off")).returncode == 0

    worker = _worker(staging, tmp_path / "worker.log")
    try:
        started = time.monotonic()

        async def fired() -> bool:
            return len(await escalation_events(uows, ticket_id)) == 1

        # Thirty days ahead the petición is overdue; the sweep still runs every 2 real seconds.
        await eventually(fired, within=60, what="the rehearsed escalation")
        took = time.monotonic() - started
        await eventually(lambda: _received(inbox, OFICINA, 1), within=30, what="the Oficina's e-mail")
    finally:
        _stop(worker)
    (event,) = await escalation_events(uows, ticket_id)
    assert event["point"] == "overdue", event
    assert took < 30, f"the worker's sleeps were shifted too ({took:.1f} s)"
    assert "clock_offset_active" in (tmp_path / "worker.log").read_text()
