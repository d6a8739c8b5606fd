"""Effective priority of a work item: what the router sorts waiting work by.

Priority only reorders work. It never changes a PQRD's legal term: the deadline is computed by the
legal clock and this module only reads how close it is, as plain numbers (business days left and the
fraction of the term elapsed), so it does not depend on the calendar.

One function, `effective_priority`, adds three things:

* the queue's own priority (a line for emergencies outranks the general line);
* the art. 20 flags of Ley 1755 de 2015 and the subjects of special constitutional protection
  (art. 13 C.P.: children, older adults, persons with disability), which the law tells us to attend
  first; and
* urgency as the legal deadline nears, so that a petition about to expire is answered before an
  older one that still has time.

Weights are documented as constants so that an audit can read exactly why an item jumped the queue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Art20Flag(StrEnum):
    """Why a petition must be attended first (Ley 1755/2015 art. 20 and art. 13 C.P.)."""

    RIESGO_VIDA = "riesgo_vida"
    DERECHO_FUNDAMENTAL = "derecho_fundamental"
    MENOR = "menor"
    ADULTO_MAYOR = "adulto_mayor"
    DISCAPACIDAD = "discapacidad"
    PERIODISTA = "periodista"


# Imminent danger to life ("adoptará de inmediato las medidas de urgencia") outranks any deadline.
# A fundamental right with an irreparable harm comes next; then the subjects of special protection;
# a journalist's petition is "tramitada preferencialmente", the mildest of the preferences.
FLAG_WEIGHTS: dict[Art20Flag, int] = {
    Art20Flag.RIESGO_VIDA: 100,
    Art20Flag.DERECHO_FUNDAMENTAL: 50,
    Art20Flag.MENOR: 30,
    Art20Flag.ADULTO_MAYOR: 30,
    Art20Flag.DISCAPACIDAD: 30,
    Art20Flag.PERIODISTA: 20,
}

# Urgency grows by URGENCY_PER_DAY for every business day under URGENCY_HORIZON_DAYS, and, for long
# terms (30-day consultas), with the fraction of the term elapsed past half of it. The larger wins.
URGENCY_HORIZON_DAYS = 10
URGENCY_PER_DAY = 4
URGENCY_MAX = URGENCY_HORIZON_DAYS * URGENCY_PER_DAY  # reached on the last day of the term
URGENCY_FROM_FRACTION = 0.5
# An expired petition must still be answered, and first: the breach grows with every day it waits.
URGENCY_OVERDUE = 60


@dataclass(frozen=True, slots=True)
class LegalUrgency:
    """What the legal clock says about a PQRD ticket, as plain numbers.

    `business_days_left` is 0 on the last day of the term and negative once it has expired;
    `fraction_elapsed` is 0 at filing, 1 at the deadline and above 1 after it.
    """

    flags: frozenset[Art20Flag] = field(default_factory=frozenset)
    business_days_left: float | None = None
    fraction_elapsed: float | None = None

    def __post_init__(self) -> None:
        if self.fraction_elapsed is not None and self.fraction_elapsed < 0:
            raise ValueError("fraction_elapsed must be 0 or more")


def effective_priority(
    queue_priority: int,
    *,
    item_priority: int = 0,
    flags: Iterable[Art20Flag] = (),
    business_days_left: float | None = None,
    fraction_elapsed: float | None = None,
) -> int:
    """Queue priority + item priority + art. 20 flags + deadline urgency; higher is served first.

    `item_priority` is any extra the channel set (for instance the IVR marked an emergency). Flags
    add up (a child in danger of life gets both weights). Urgency is the larger of the day-based and
    the fraction-based figure; without legal-clock numbers it is 0.

    Examples:

    A PQRD with 1 business day left beats an older one in the same queue with 10 days left:

    >>> effective_priority(10, business_days_left=1, fraction_elapsed=0.9)
    46
    >>> effective_priority(10, business_days_left=10, fraction_elapsed=0.33)
    10

    Art. 20 flags add their weights; a life at risk outranks any deadline:

    >>> effective_priority(10, flags=[Art20Flag.RIESGO_VIDA])
    110
    >>> child_with_disability = [Art20Flag.MENOR, Art20Flag.DISCAPACIDAD]
    >>> effective_priority(10, flags=child_with_disability, business_days_left=3)
    98

    A 30-day consulta three quarters through its term is urgent although 7 business days remain:

    >>> effective_priority(0, business_days_left=7, fraction_elapsed=0.75)
    20

    An expired petition gets the overdue weight:

    >>> effective_priority(0, business_days_left=-2, fraction_elapsed=1.1)
    60
    """
    flag_points = sum(FLAG_WEIGHTS[Art20Flag(flag)] for flag in set(flags))
    urgency = _deadline_urgency(business_days_left, fraction_elapsed)
    return queue_priority + item_priority + flag_points + urgency


def _deadline_urgency(business_days_left: float | None, fraction_elapsed: float | None) -> int:
    # 0 to URGENCY_MAX while in term, URGENCY_OVERDUE once expired.
    if business_days_left is not None and business_days_left < 0:
        return URGENCY_OVERDUE
    by_days = 0
    if business_days_left is not None:
        # A partial day counts as a whole one left: 0.5 days left is still "today's" urgency.
        days = math.ceil(business_days_left)
        by_days = max(0, URGENCY_HORIZON_DAYS - days) * URGENCY_PER_DAY
    by_fraction = 0
    if fraction_elapsed is not None:
        past_half = max(0.0, min(fraction_elapsed, 1.0) - URGENCY_FROM_FRACTION)
        by_fraction = math.floor(URGENCY_MAX * past_half / (1.0 - URGENCY_FROM_FRACTION))
    return min(URGENCY_MAX, max(by_days, by_fraction))
