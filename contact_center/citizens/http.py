"""Supervisors and administrators join two citizen records of one person (after checking the
person's document themselves): `POST /api/v1/citizens/{id}/merge`. The rules are the service's
(`contact_center.citizens.services.merge`); a refusal changes nothing."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from contact_center.citizens.services import merge as service
from contact_center.core.auth import Principal
from contact_center.core.http.api import MAX_ROW_ID, ApiRoutes, RowId
from contact_center.core.http.keys import UOW
from contact_center.core.officials import Role
from contact_center.pqrd import access

routes = ApiRoutes()
TAGS = ["citizens"]


class CitizenMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: RowId = Field(description="the surviving citizen record; if it was merged itself, its survivor")
    reason: str = Field(
        min_length=1, max_length=service.MAX_REASON, description="why, e.g. the document seen"
    )


class CitizenMergeOut(BaseModel):
    merge_id: int
    citizen_id: int = Field(description="the record merged (it now points at `into`)")
    into: int = Field(description="the surviving record")
    requested_into: int = Field(description="the record asked for; differs from `into` when it was merged")
    merged_by: int | None = Field(description="the official who merged")
    reason: str
    merged_at: datetime
    citizen_ids: list[int] = Field(description="every record whose history the survivor now shows")


def _citizen_id(request: web.Request) -> int:
    citizen_id = int(request.match_info["citizen_id"])
    if not 1 <= citizen_id <= MAX_ROW_ID:  # no such row; the database would refuse the number itself
        raise access.hidden("citizen")
    return citizen_id


@routes.post(
    r"/api/v1/citizens/{citizen_id:\d+}/merge",
    body=CitizenMergeIn,
    responses={200: CitizenMergeOut, 400: None, 404: None, 409: None},
    role=Role.SUPERVISOR,
    tags=TAGS,
    summary="Merge a duplicate citizen record into the surviving one (supervisors and administrators); "
    "both histories then show as one; recorded in citizen_merges",
)
async def merge(request: web.Request, principal: Principal, body: CitizenMergeIn) -> web.Response:
    wanted = service.MergeRequest(
        citizen_id=_citizen_id(request),
        into_id=body.into,
        reason=body.reason,
        official_id=principal.official_id,
        via="api",
    )
    async with request.app[UOW]() as uow:
        await access.citizen(uow, principal, wanted.citizen_id)
        await access.citizen(uow, principal, wanted.into_id)
        done = await service.merge_citizens(uow, wanted)
        await uow.commit()
    out = CitizenMergeOut(
        merge_id=done.merge_id,
        citizen_id=done.citizen_id,
        into=done.into_id,
        requested_into=done.requested_into_id,
        merged_by=done.official_id,
        reason=done.reason,
        merged_at=done.merged_at,
        citizen_ids=done.citizen_ids,
    )
    return web.json_response(out.model_dump(mode="json"))
