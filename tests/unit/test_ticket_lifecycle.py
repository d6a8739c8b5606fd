"""The ticket state machine, the radicado number and the audit hash chain."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import pytest

from contact_center.core.errors import Conflict, InvalidInput
from contact_center.pqrd.domain.tickets import (
    CLOCK_RUNNING_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    ChainLink,
    Radicado,
    TicketStatus,
    allowed_targets,
    build_chain,
    check_transition,
    event_hash,
    format_radicado,
    parse_radicado,
    verify_chain,
)

S = TicketStatus

ALLOWED = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]


ALLOWED_IDS = [f"{c.value}->{t.value}" for c, t in ALLOWED]


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=ALLOWED_IDS)
def test_every_allowed_transition_is_accepted(current: TicketStatus, target: TicketStatus) -> None:
    check_transition(current, target)
    assert target in allowed_targets(current)


def test_the_documented_lifecycle_is_allowed() -> None:
    expected = {
        (S.RADICADO, S.ASIGNADO),
        (S.ASIGNADO, S.EN_TRAMITE),
        (S.EN_TRAMITE, S.SUSPENDIDO),
        (S.EN_TRAMITE, S.PRORROGADO),
        (S.EN_TRAMITE, S.RESPONDIDO),
        (S.SUSPENDIDO, S.EN_TRAMITE),  # the citizen completed the petition (art. 17)
        (S.SUSPENDIDO, S.DESISTIDO),  # ... or let the month pass (art. 17)
        (S.PRORROGADO, S.RESPONDIDO),
        (S.RESPONDIDO, S.CERRADO),
        (S.RADICADO, S.TRASLADADO),
        (S.ASIGNADO, S.TRASLADADO),
        (S.EN_TRAMITE, S.TRASLADADO),
    }
    assert expected <= set(ALLOWED)


FORBIDDEN = [
    (S.RADICADO, S.RESPONDIDO),  # someone must own it first
    (S.RADICADO, S.CERRADO),
    (S.ASIGNADO, S.RADICADO),  # no way back; reassignment is an event
    (S.ASIGNADO, S.ASIGNADO),
    (S.EN_TRAMITE, S.EN_TRAMITE),
    (S.SUSPENDIDO, S.RESPONDIDO),  # it must be completed first
    (S.SUSPENDIDO, S.PRORROGADO),
    (S.PRORROGADO, S.SUSPENDIDO),  # no completion request after an extension
    (S.PRORROGADO, S.PRORROGADO),  # one extension only
    (S.PRORROGADO, S.TRASLADADO),  # forwarding is decided in the first days
    (S.RESPONDIDO, S.EN_TRAMITE),
    (S.RESPONDIDO, S.DESISTIDO),
    (S.CERRADO, S.EN_TRAMITE),
    (S.TRASLADADO, S.ASIGNADO),
    (S.DESISTIDO, S.EN_TRAMITE),
]


@pytest.mark.parametrize(
    ("current", "target"), FORBIDDEN, ids=[f"{c.value}->{t.value}" for c, t in FORBIDDEN]
)
def test_impossible_transitions_are_refused(current: TicketStatus, target: TicketStatus) -> None:
    with pytest.raises(Conflict) as caught:
        check_transition(current, target)
    assert caught.value.code == "invalid_transition"
    assert STATUS_LABELS[current] in caught.value.message  # Spanish, with the status names
    assert caught.value.details == {"current": current.value, "target": target.value}


def test_the_graph_is_sound() -> None:
    assert set(TRANSITIONS) == set(TicketStatus)
    assert set(STATUS_LABELS) == set(TicketStatus)
    assert {S.CERRADO, S.TRASLADADO, S.DESISTIDO} == TERMINAL_STATUSES
    assert set(TicketStatus) == OPEN_STATUSES | TERMINAL_STATUSES
    assert CLOCK_RUNNING_STATUSES <= OPEN_STATUSES
    reachable, frontier = {S.RADICADO}, [S.RADICADO]
    while frontier:
        for target in TRANSITIONS[frontier.pop()] - reachable:
            reachable.add(target)
            frontier.append(target)
    assert reachable == set(TicketStatus)
    # every open status can be withdrawn by the citizen (art. 18) except once answered
    withdrawable = {s for s in OPEN_STATUSES if S.DESISTIDO in TRANSITIONS[s]}
    assert withdrawable == OPEN_STATUSES - {S.RESPONDIDO}


# -- radicado --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "seq", "text"),
    [
        (2026, 123, "2026000123"),
        (2026, 1, "2026000001"),
        (2027, 999_999, "2027999999"),
        (2026, 1_000_000, "20261000000"),  # the sequence grows a digit; the year stays first
    ],
    ids=["typical", "first", "last-six-digit", "overflow"],
)
def test_radicado_round_trip(year: int, seq: int, text: str) -> None:
    assert format_radicado(year, seq) == text
    assert parse_radicado(text) == Radicado(year, seq)
    assert str(Radicado(year, seq)) == text


@pytest.mark.parametrize(
    "typed",
    ["2026-000123", " 2026 000123 ", "2026000123"],
    ids=["hyphen", "spaces", "plain"],
)
def test_radicado_tolerates_separators(typed: str) -> None:
    assert parse_radicado(typed) == Radicado(2026, 123)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "202600012",
        "2026000000",
        "1999000001",
        "20260000123",
        "２０２６000123",
        "2026+00123",
    ],
    ids=[
        "empty",
        "letters",
        "too-short",
        "sequence-zero",
        "year-too-old",
        "non-canonical-padding",
        "fullwidth-digits",
        "sign",
    ],
)
def test_invalid_radicados_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_radicado(text)
    assert caught.value.code == "invalid_radicado"


@pytest.mark.parametrize(("year", "seq"), [(2026, 0), (1999, 5), (10000, 1)])
def test_format_radicado_refuses_bad_parts(year: int, seq: int) -> None:
    with pytest.raises(InvalidInput):
        format_radicado(year, seq)


# -- audit hash chain ------------------------------------------------------------------------------

BOGOTA_OFFSET = timezone(timedelta(hours=-5))
EVENTS = [
    {
        "radicado": "2026000123",
        "at": datetime(2026, 3, 10, 10, 0, tzinfo=BOGOTA_OFFSET),
        "from": None,
        "to": S.RADICADO,
        "by": "ciudadano",
        "why": "Radicación por el portal",
    },
    {
        "radicado": "2026000123",
        "at": datetime(2026, 3, 10, 11, 0, tzinfo=BOGOTA_OFFSET),
        "from": S.RADICADO,
        "to": S.ASIGNADO,
        "by": UUID("00000000-0000-0000-0000-000000000001"),
        "why": "Asignación automática",
    },
    {
        "radicado": "2026000123",
        "at": datetime(2026, 3, 31, 9, 0, tzinfo=BOGOTA_OFFSET),
        "from": S.EN_TRAMITE,
        "to": S.PRORROGADO,
        "new_due_date": date(2026, 4, 24),
        "why": "Requiere visita técnica",
    },
]


def test_an_intact_chain_verifies() -> None:
    chain = build_chain(EVENTS)
    assert verify_chain(chain) is None
    assert all(len(link.hash) == 64 for link in chain)
    assert chain[1].hash == event_hash(chain[0].hash, EVENTS[1])


def test_the_hash_is_sha256_of_canonical_json() -> None:
    payload = {"b": 1, "a": "ñ"}
    expected = hashlib.sha256('{"event":{"a":"ñ","b":1},"prev":null}'.encode()).hexdigest()
    assert event_hash(None, payload) == expected


def test_the_hash_does_not_depend_on_key_order_or_time_zone() -> None:
    instant = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    same_in_bogota = instant.astimezone(BOGOTA_OFFSET)
    first = event_hash("x", {"a": 1, "at": instant})
    assert first == event_hash("x", {"at": same_in_bogota, "a": 1})
    assert event_hash("x", {"a": 1}) != event_hash("y", {"a": 1})


def _tampered_payload(chain: list[ChainLink]) -> list[ChainLink]:
    edited = dict(chain[1].payload, why="Otra cosa")
    return [chain[0], ChainLink(edited, chain[1].hash), chain[2]]


def _tampered_hash(chain: list[ChainLink]) -> list[ChainLink]:
    return [chain[0], chain[1], ChainLink(chain[2].payload, "0" * 64)]


def _removed(chain: list[ChainLink]) -> list[ChainLink]:
    return [chain[0], chain[2]]


def _swapped(chain: list[ChainLink]) -> list[ChainLink]:
    return [chain[1], chain[0], chain[2]]


def _rehashed_from_the_middle(chain: list[ChainLink]) -> list[ChainLink]:
    # a forger who edits event 1 and recomputes its hash still breaks the link to event 2
    edited = dict(chain[1].payload, why="Otra cosa")
    return [chain[0], ChainLink(edited, event_hash(chain[0].hash, edited)), chain[2]]


@pytest.mark.parametrize(
    ("tamper", "broken_at"),
    [
        (_tampered_payload, 1),
        (_tampered_hash, 2),
        (_removed, 1),
        (_swapped, 0),
        (_rehashed_from_the_middle, 2),
    ],
    ids=["edited-payload", "edited-hash", "removed-event", "reordered", "rehashed-edit"],
)
def test_tampering_is_detected(tamper: object, broken_at: int) -> None:
    chain = build_chain(EVENTS)
    assert verify_chain(tamper(chain)) == broken_at  # type: ignore[operator]


def test_a_tail_verifies_from_its_predecessor() -> None:
    chain = build_chain(EVENTS)
    assert verify_chain(chain[1:], prev_hash=chain[0].hash) is None
    assert verify_chain(chain[1:]) == 0


def test_naive_datetimes_cannot_be_hashed() -> None:
    with pytest.raises(InvalidInput) as caught:
        event_hash(None, {"at": datetime(2026, 3, 10, 10, 0)})
    assert caught.value.code == "naive_datetime"
