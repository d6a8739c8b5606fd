"""The escalation policy on the PQRD legal clock (docs/legal-clock.md, "Escalation"). Pure.

A ticket whose clock runs has a schedule of escalation points: thresholds of the term (50 %, 80 %
used, 2 business days left, due today, overdue) and the statutory last days (to ask the citizen to
complete, art. 17; to forward, art. 21; to notify an extension, art. 14 parágrafo). Each point
reaches an audience tier: 1 the assignee, 2 also the dependencia's supervisors, 3 also the Oficina
de Atención al Ciudadano. Points fire in order, once each, and points that passed while nothing ran
fire as one catch-up alert (`due_point`: the latest of them); a point's key names it within the term
it belongs to, so an extension (a new term) brings fresh thresholds while the ones already fired
for the original term stay fired.

Every threshold "x % of the term used" is the same as "at most L business days left" with
L = floor(total · (1 - x)), so each point is a day counted back from the due date.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any

from contact_center.core.clock import BOGOTA
from contact_center.core.errors import InvalidInput
from contact_center.pqrd.domain.legal_clock import ClockFacts, LegalClock
from contact_center.pqrd.domain.tickets import CLOCK_RUNNING_STATUSES, TicketStatus


class Tier(IntEnum):
    """Who an escalation reaches; each tier includes the ones below it."""

    ASSIGNEE = 1
    SUPERVISOR = 2
    ATENCION_CIUDADANO = 3


MAX_DAYS_LEFT = 60  # no PQRD term is longer than 30 business days (twice with an extension)
STATUTORY = ("completion_request", "forwarding", "extension_notice")


def _percent(share: float) -> int:
    return round(share * 100)


# Forwarding (art. 21) and the completion request (art. 17) are decided before the substance is
# worked on; an extension (art. 14) is possible while the answer is being prepared.
_FORWARDING_STATUSES = frozenset({TicketStatus.RADICADO, TicketStatus.ASIGNADO, TicketStatus.EN_TRAMITE})
_EXTENSION_STATUSES = _FORWARDING_STATUSES


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """The configurable thresholds; the defaults are the founding design's examples
    (docs/jobs-and-escalation.md).

    `term_used`: (share of the term used, tier); `days_left`: (business days left, tier), 0 being
    the due date; `notify_hour`: the Bogotá hour at which a point's day starts to count.
    """

    term_used: tuple[tuple[float, Tier], ...] = ((0.5, Tier.ASSIGNEE), (0.8, Tier.ASSIGNEE))
    days_left: tuple[tuple[int, Tier], ...] = ((2, Tier.SUPERVISOR), (0, Tier.SUPERVISOR))
    overdue: Tier = Tier.ATENCION_CIUDADANO
    completion_request: Tier | None = Tier.ASSIGNEE
    forwarding: Tier | None = Tier.ASSIGNEE
    extension_notice: Tier | None = Tier.SUPERVISOR
    notify_hour: int = 8
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if any(not 0 < share <= 1 for share, _ in self.term_used):
            raise InvalidInput(
                "Los umbrales del término van entre 0 (excluido) y 1.", code="invalid_threshold"
            )
        if any(not 0 <= days <= MAX_DAYS_LEFT for days, _ in self.days_left):
            raise InvalidInput(f"Los días restantes van de 0 a {MAX_DAYS_LEFT}.", code="invalid_threshold")
        if len({_percent(s) for s, _ in self.term_used}) < len(self.term_used) or len(
            {d for d, _ in self.days_left}
        ) < len(self.days_left):
            raise InvalidInput("Hay umbrales repetidos.", code="duplicate_threshold")
        tiers: list[object] = [t for _, t in (*self.term_used, *self.days_left)]
        tiers += [self.overdue, self.completion_request, self.forwarding, self.extension_notice]
        if any(t is not None and not isinstance(t, Tier) for t in tiers):
            raise InvalidInput("Nivel de escalamiento desconocido.", code="unknown_tier")
        if not 0 <= self.notify_hour <= 23:
            raise InvalidInput("La hora de aviso va de 0 a 23.", code="invalid_threshold")
        if any(not 0 < len(text) <= 200 for text in self.labels.values()):
            raise InvalidInput("Cada etiqueta tiene de 1 a 200 caracteres.", code="invalid_policy")


@dataclass(frozen=True, slots=True, order=True)
class EscalationPoint:
    """One escalation: its day (Bogotá), the instant it becomes due, and who it reaches."""

    day: date
    tier: Tier
    key: str
    label: str
    at: datetime = field(compare=False)


def schedule(
    policy: EscalationPolicy,
    clock: LegalClock,
    facts: ClockFacts,
    status: TicketStatus,
    now: datetime,
) -> list[EscalationPoint]:
    """Every escalation point of a ticket, in order; empty when its clock does not run.

    A ticket answered, suspended, forwarded, closed or withdrawn has none.
    """
    if status not in CLOCK_RUNNING_STATUSES:
        return []
    due = clock.effective_due_date(facts)
    if due is None:
        return []
    snap = clock.snapshot(facts, now)
    total = snap.days_elapsed + snap.days_left
    term = "@prorroga" if facts.extension is not None else ""
    cal = clock.calendar
    raw: list[tuple[date, Tier, str, str]] = []
    for share, tier in policy.term_used:
        left = math.floor(round(total * (1 - share), 6))  # 15 · (1 - 0.8) is 2.999… in floats
        raw.append(
            (
                cal.add_business_days(due, -left),
                tier,
                f"term_{_percent(share)}{term}",
                f"Se ha cumplido el {_percent(share)} % del término",
            )
        )
    for days, tier in policy.days_left:
        label = "Vence hoy" if days == 0 else f"Quedan {days} días hábiles"
        raw.append((cal.add_business_days(due, -days), tier, f"left_{days}{term}", label))
    raw.append((cal.next_business_day(due), policy.overdue, f"overdue{term}", "Término vencido"))
    raw.extend(_statutory(policy, clock, facts, status, due))
    points = [
        EscalationPoint(day, tier, key, policy.labels.get(key, label), instant(day, policy.notify_hour))
        for day, tier, key, label in raw
    ]
    return sorted(points)


def _statutory(
    policy: EscalationPolicy, clock: LegalClock, facts: ClockFacts, status: TicketStatus, due: date
) -> Iterable[tuple[date, Tier, str, str]]:
    untouched = not facts.suspensions and facts.extension is None
    if policy.completion_request is not None and untouched and status in _FORWARDING_STATUSES:
        yield (
            clock.completion_request_deadline(facts.filed_at),
            policy.completion_request,
            "completion_request",
            "Último día para pedir al ciudadano que complete la petición (art. 17)",
        )
    if policy.forwarding is not None and untouched and status in _FORWARDING_STATUSES:
        yield (
            clock.forwarding_deadline(facts),
            policy.forwarding,
            "forwarding",
            "Último día para trasladar por competencia (art. 21)",
        )
    if policy.extension_notice is not None and facts.extension is None and status in _EXTENSION_STATUSES:
        yield (
            clock.calendar.previous_business_day(due),
            policy.extension_notice,
            "extension_notice",
            "Último día para notificar una prórroga (art. 14)",
        )


def instant(day: date, hour: int) -> datetime:
    """The moment a point's day starts to count: `hour` o'clock in Bogotá."""
    return datetime.combine(day, time(hour), tzinfo=BOGOTA)


def next_point(points: Sequence[EscalationPoint], fired: Iterable[str]) -> EscalationPoint | None:
    """The first point not fired yet (it may be due already), or None when all have fired.

    A point that comes before a fired one is passed over: that happens only when the schedule
    changed under the ticket (a new policy adds a 30 % threshold to a ticket past its 50 % one),
    and an alert about a milestone already overtaken is noise.
    """
    done = frozenset(fired)
    last_fired = max((i for i, p in enumerate(points) if p.key in done), default=-1)
    return next((p for p in points[last_fired + 1 :] if p.key not in done), None)


def due_point(
    points: Sequence[EscalationPoint], fired: Iterable[str], now: datetime
) -> EscalationPoint | None:
    """The point to fire now: the LATEST of the points not fired yet whose instant has come.

    Catch-up: when several points passed while nothing ran (an imported backlog, a worker down for a
    day), only the newest fires, once; the ones it overtakes are passed over by `next_point` as soon
    as it is recorded. Its tier is raised to the highest of the overtaken ones, so nobody who should
    have heard about the ticket meanwhile is left out (a "Quedan 2 días" for the supervisors
    overtaken by an assignee-tier point still reaches the supervisors).
    """
    due = [p for p in pending_points(points, fired) if p.at <= now]
    if not due:
        return None
    tier = max(p.tier for p in due)
    return due[-1] if due[-1].tier == tier else replace(due[-1], tier=tier)


def overtaken(points: Sequence[EscalationPoint], fired: Iterable[str], point: EscalationPoint) -> list[str]:
    """The keys of the pending points before `point` that firing it passes over (its catch-up)."""
    return [p.key for p in pending_points(points, fired) if p.key != point.key and p <= point]


def pending_points(points: Sequence[EscalationPoint], fired: Iterable[str]) -> list[EscalationPoint]:
    """The points after the last fired one that have not fired (in order)."""
    done = frozenset(fired)
    last_fired = max((i for i, p in enumerate(points) if p.key in done), default=-1)
    return [p for p in points[last_fired + 1 :] if p.key not in done]


# -- the policy as data (stored as JSON, edited through the admin API and the CLI) -------------------

TIER_NAMES: dict[Tier, str] = {
    Tier.ASSIGNEE: "assignee",
    Tier.SUPERVISOR: "supervisor",
    Tier.ATENCION_CIUDADANO: "atencion_ciudadano",
}
_TIERS_BY_NAME = {name: tier for tier, name in TIER_NAMES.items()}


def parse_tier(name: object) -> Tier:
    """A tier from its name ("assignee", "supervisor", "atencion_ciudadano")."""
    tier = _TIERS_BY_NAME.get(name) if isinstance(name, str) else None
    if tier is None:
        known = ", ".join(_TIERS_BY_NAME)
        raise InvalidInput(f"Nivel de escalamiento desconocido «{name}»: use {known}.", code="unknown_tier")
    return tier


def policy_to_dict(policy: EscalationPolicy) -> dict[str, Any]:
    """The policy as plain JSON values, tiers by name (the admin API's and the stored shape)."""
    return {
        "term_used": [{"share": share, "tier": TIER_NAMES[t]} for share, t in policy.term_used],
        "days_left": [{"days": days, "tier": TIER_NAMES[t]} for days, t in policy.days_left],
        "overdue": TIER_NAMES[policy.overdue],
        "statutory": {
            key: None if getattr(policy, key) is None else TIER_NAMES[getattr(policy, key)]
            for key in STATUTORY
        },
        "notify_hour": policy.notify_hour,
        "labels": dict(policy.labels),
    }


def policy_from_dict(data: Mapping[str, Any]) -> EscalationPolicy:
    """Build and validate a policy from `policy_to_dict`'s shape; missing keys keep the defaults.

    Raises `InvalidInput` (stable codes `invalid_policy`, `invalid_threshold`, `unknown_tier`,
    `duplicate_threshold`) on anything else.
    """
    try:
        values: dict[str, Any] = {}
        if "term_used" in data:
            values["term_used"] = tuple(
                (_number(r["share"]), parse_tier(r["tier"])) for r in data["term_used"]
            )
        if "days_left" in data:
            values["days_left"] = tuple((_whole(r["days"]), parse_tier(r["tier"])) for r in data["days_left"])
        if "overdue" in data:
            values["overdue"] = parse_tier(data["overdue"])
        for key, tier in dict(data.get("statutory") or {}).items():
            if key not in STATUTORY:
                raise InvalidInput(f"Punto legal desconocido «{key}».", code="invalid_policy")
            values[key] = None if tier is None else parse_tier(tier)
        if "notify_hour" in data:
            values["notify_hour"] = _whole(data["notify_hour"])
        if "labels" in data:
            values["labels"] = {str(k): str(v) for k, v in dict(data["labels"]).items()}
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(
            "La política de escalamiento no tiene la forma esperada.", code="invalid_policy"
        ) from None
    return EscalationPolicy(**values)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value
