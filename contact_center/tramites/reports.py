"""The supervisor's report of what citizens looked for: the most consulted trámites, the searches
with no result and the answers judged unhelpful, by channel and month."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from contact_center.core.uow import UnitOfWork
from contact_center.tramites.models import Tramite, TramiteUsage

TOP = 200


async def usage(uow: UnitOfWork, month: str | None) -> dict[str, list[dict[str, Any]]]:
    def in_month(stmt: Any) -> Any:
        return stmt if month is None else stmt.where(TramiteUsage.month == month)

    count = func.count().label("count")
    consulted = await uow.session.execute(
        in_month(
            select(TramiteUsage.month, TramiteUsage.channel, Tramite.slug, count)
            .join(Tramite, Tramite.id == TramiteUsage.tramite_id)
            .where(TramiteUsage.kind == "consulted")
            .group_by(TramiteUsage.month, TramiteUsage.channel, Tramite.slug)
            .order_by(count.desc(), Tramite.slug)
            .limit(TOP)
        )
    )
    no_result = await uow.session.execute(
        in_month(
            select(TramiteUsage.month, TramiteUsage.channel, TramiteUsage.query, count)
            .where(TramiteUsage.kind == "no_result")
            .group_by(TramiteUsage.month, TramiteUsage.channel, TramiteUsage.query)
            .order_by(count.desc(), TramiteUsage.query)
            .limit(TOP)
        )
    )
    not_useful = func.sum(case((TramiteUsage.kind == "not_useful", 1), else_=0)).label("not_useful")
    useful = func.sum(case((TramiteUsage.kind == "useful", 1), else_=0)).label("useful")
    unhelpful = await uow.session.execute(
        in_month(
            select(TramiteUsage.month, TramiteUsage.channel, Tramite.slug, not_useful, useful)
            .join(Tramite, Tramite.id == TramiteUsage.tramite_id)
            .where(TramiteUsage.kind.in_(("useful", "not_useful")))
            .group_by(TramiteUsage.month, TramiteUsage.channel, Tramite.slug)
            .order_by(not_useful.desc(), Tramite.slug)
            .limit(TOP)
        )
    )
    resolved = await uow.session.execute(
        in_month(
            select(TramiteUsage.month, TramiteUsage.channel, Tramite.slug, count)
            .join(Tramite, Tramite.id == TramiteUsage.tramite_id)
            .where(TramiteUsage.kind == "kb_resolved")
            .group_by(TramiteUsage.month, TramiteUsage.channel, Tramite.slug)
            .order_by(count.desc(), Tramite.slug)
            .limit(TOP)
        )
    )
    return {
        "resolved": [{"month": m, "channel": c, "slug": s, "count": int(n)} for m, c, s, n in resolved],
        "consulted": [{"month": m, "channel": c, "slug": s, "count": int(n)} for m, c, s, n in consulted],
        "no_result": [{"month": m, "channel": c, "query": q, "count": int(n)} for m, c, q, n in no_result],
        "unhelpful": [
            {"month": m, "channel": c, "slug": s, "not_useful": int(nu or 0), "useful": int(u or 0)}
            for m, c, s, nu, u in unhelpful
        ],
    }
