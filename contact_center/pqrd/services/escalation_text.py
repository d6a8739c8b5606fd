"""The officials' escalation alert, in the words and dates a person reads (es-CO).

Statuses by their label ("En trámite", never "en_tramite"), dates as "15 de diciembre de 2026", the
dependencia by name. A catch-up alert (points passed while nothing ran) says which earlier points
it stands for, so one message carries the ticket's real situation instead of a burst of stale ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from contact_center.core.clock import BOGOTA
from contact_center.core.db.models import Ticket
from contact_center.core.spanish_dates import day_month_year, long_date
from contact_center.pqrd.domain.escalation import EscalationPoint
from contact_center.pqrd.domain.labels import status_label


def official_alert(
    ticket: Ticket,
    point: EscalationPoint,
    passed: Sequence[EscalationPoint],
    dependencia: str,
    now: datetime,
) -> tuple[str, str]:
    """Subject and plain-text body of the alert an escalation sends to officials."""
    subject = f"Alerta de vencimiento: radicado {ticket.radicado} — {point.label}"
    lines = [
        f"{point.label}.",
        "",
        f"Radicado: {ticket.radicado}",
        f"Asunto: {ticket.subject}",
        f"Dependencia: {dependencia}",
        f"Estado: {status_label(ticket.status)}",
        f"Fecha de vencimiento: {long_date(ticket.due_date)}",
    ]
    if passed:
        today = day_month_year(now.astimezone(BOGOTA).date())
        lines += [
            "",
            f"Este aviso reúne los puntos que pasaron sin aviso hasta hoy, {today}:",
            *(f"- {p.label} ({day_month_year(p.day)})" for p in passed),
        ]
    lines += ["", "Este aviso se envía automáticamente por el sistema de PQRD de la Alcaldía de Pasto."]
    return subject, "\n".join(lines)
