"""`POST /v1/agencies/{agency_code}/supersession`: an admin records that an agency is dissolved and
which agency succeeds it (the two-level local government, docs/two-level-government.md)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from motcua_shared.api import error_responses
from pydantic import BaseModel, Field

from ...service_layer.idempotent import fingerprint, run_once
from ...service_layer.supersession import supersede_agency
from ..deps import IDEMPOTENT_CODES, Admin, IdempotencyKey, IntakeDep
from ..schemas import Code, Strict

router = APIRouter(prefix="/v1", tags=["catalogue"])


class AgencySupersession(Strict):
    successor_code: str = Code
    effective_date: date = Field(description="the successor is responsible from this day on (Asia/Ho_Chi_Minh)")
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class AgencySupersessionPublic(BaseModel):
    agency_code: str
    successor_code: str
    effective_date: date
    reason: str | None = None


@router.post(
    "/agencies/{agency_code}/supersession",
    status_code=201,
    response_model=AgencySupersessionPublic,
    responses=error_responses(
        {404: ["agency_not_found"], 422: ["same_agency", "successor_dissolved"]}, IDEMPOTENT_CODES
    ),
)
async def supersede(
    agency_code: Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._\-]+$")],
    body: AgencySupersession,
    request: Request,
    intake: IntakeDep,
    admin: Admin,
    key: IdempotencyKey,
) -> dict[str, Any]:
    """Dissolve an agency into its successor from `effective_date`; publishes `agency.superseded` on
    catalog.events. Its procedures become the successor's from that day, processing hands its open dossiers
    over (one `dossier.transferred` each), new dossiers for it are received by the successor, and reports
    count each dossier under the agency responsible at the period's end."""
    return await run_once(
        intake,
        admin,
        key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: supersede_agency(
            intake,
            code=agency_code,
            successor_code=body.successor_code,
            effective_date=body.effective_date,
            reason=body.reason,
            actor=admin.subject,
        ),
    )
