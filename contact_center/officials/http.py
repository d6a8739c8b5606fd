"""Officials as supervisors and administrators see them."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy import select

from contact_center.core.auth import Principal
from contact_center.core.db.models import Official
from contact_center.core.http.api import ApiRoutes
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Presence, Role

routes = ApiRoutes()


class OfficialSummary(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    dependencia_id: int | None
    presence: Presence
    away_reason: str | None


class OfficialList(BaseModel):
    officials: list[OfficialSummary]


@routes.get(
    "/api/v1/officials",
    responses={200: OfficialList},
    role=Role.SUPERVISOR,
    tags=["officials"],
    summary="List officials with their role and presence",
)
async def list_officials(request: web.Request, principal: Principal) -> web.Response:
    async with request.app[UOW]() as uow:
        rows = (await uow.session.scalars(select(Official).order_by(Official.name))).all()
        out = OfficialList(
            officials=[
                OfficialSummary(
                    id=o.id,
                    email=o.email,
                    name=o.name,
                    role=Role(o.role),
                    dependencia_id=o.dependencia_id,
                    presence=Presence(o.presence),
                    away_reason=o.away_reason,
                )
                for o in rows
            ]
        )
    return web.json_response(out.model_dump(mode="json"))
