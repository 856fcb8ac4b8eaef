"""`/v1/agencies`, `/v1/procedures`: the catalogue. Reading is public; changing it is for admins."""

from typing import Any

from fastapi import APIRouter, Request
from motcua_shared import events as ev
from motcua_shared.api import ApiError, error_responses

from ...domain.catalogue import Procedure
from ...service_layer import catalogue
from ...service_layer.idempotent import fingerprint, run_once
from ..deps import IDEMPOTENT_CODES, Admin, IdempotencyKey, IntakeDep
from ..schemas import (
    AgenciesPublic,
    AgencyCreate,
    AgencyPublic,
    ProcedureCreate,
    ProcedurePublic,
    ProcedureRetirement,
    ProceduresPublic,
)

router = APIRouter(prefix="/v1", tags=["catalogue"])
AGENCY_UNKNOWN = error_responses({404: ["agency_not_found"]}, IDEMPOTENT_CODES)
READ = error_responses()


@router.post("/agencies", status_code=201, response_model=AgencyPublic, responses=AGENCY_UNKNOWN)
async def register_agency(
    body: AgencyCreate, request: Request, intake: IntakeDep, admin: Admin, key: IdempotencyKey
) -> dict[str, Any]:
    """Register or change an agency; publishes `agency.registered` on catalog.events."""
    return await run_once(
        intake,
        admin,
        key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: catalogue.register_agency(
            intake,
            code=body.agency_code,
            name=body.name,
            admin_level=body.admin_level,
            parent_code=body.parent_code,
            actor=admin.subject,
        ),
    )


@router.get("/agencies", response_model=AgenciesPublic, responses=READ)
async def list_agencies(intake: IntakeDep) -> AgenciesPublic:
    """Every known agency, by code."""
    agencies = await intake.catalogue.agencies()
    data = [
        AgencyPublic(agency_code=a.code, name=a.name, admin_level=a.admin_level, parent_code=a.parent_code)
        for a in agencies
    ]
    return AgenciesPublic(data=data, count=len(data))


@router.post("/procedures", status_code=201, response_model=ProcedurePublic, responses=AGENCY_UNKNOWN)
async def publish_procedure(
    body: ProcedureCreate, request: Request, intake: IntakeDep, admin: Admin, key: IdempotencyKey
) -> dict[str, Any]:
    """Publish or change a procedure; publishes `procedure.published` on catalog.events. Optional
    `receipt_cutoff` ("HH:MM"): a dossier received after it counts from the next working day;
    `online_processing_time`: the processing time of online dossiers, when not the counter's;
    `supplement_time` ({value, unit: working_days}): the time an applicant has for papers asked for."""
    return await run_once(
        intake,
        admin,
        key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: catalogue.publish_procedure(
            intake,
            code=body.procedure_code,
            name=body.name,
            agency_code=body.agency_code,
            admin_level=body.admin_level,
            online_level=body.online_level,
            processing_time=body.processing_time,
            fee=body.fee,
            actor=admin.subject,
            receipt_cutoff=body.receipt_cutoff,
            online_processing_time=body.online_processing_time,
            supplement_time=body.supplement_time,
        ),
    )


@router.post(
    "/procedures/{procedure_code}/retire",
    response_model=ProcedureRetirement,
    responses=error_responses({404: ["procedure_not_found"]}, IDEMPOTENT_CODES),
)
async def retire_procedure(
    procedure_code: str, request: Request, intake: IntakeDep, admin: Admin, key: IdempotencyKey
) -> dict[str, Any]:
    """Retire a procedure; publishes `procedure.retired` on catalog.events."""
    return await run_once(
        intake,
        admin,
        key,
        fingerprint("POST", request.url.path, None),
        lambda: catalogue.retire_procedure(intake, code=procedure_code, actor=admin.subject),
    )


@router.get("/procedures", response_model=ProceduresPublic, responses=READ)
async def list_procedures(
    intake: IntakeDep, agency_code: str | None = None, include_retired: bool = False
) -> ProceduresPublic:
    """Procedures, optionally of one agency; retired ones only when asked."""
    procedures = await intake.catalogue.procedures(agency_code=agency_code, include_retired=include_retired)
    data = [_public(p) for p in procedures]
    return ProceduresPublic(data=data, count=len(data))


@router.get(
    "/procedures/{procedure_code}",
    response_model=ProcedurePublic,
    responses=error_responses({404: ["procedure_not_found"]}),
)
async def get_procedure(procedure_code: str, intake: IntakeDep) -> ProcedurePublic:
    """One procedure, retired or not."""
    procedure = await intake.catalogue.procedure(procedure_code)
    if procedure is None:
        raise ApiError(404, "procedure_not_found", f"there is no procedure {procedure_code}")
    return _public(procedure)


def _public(p: Procedure) -> ProcedurePublic:
    return ProcedurePublic(
        procedure_code=p.code,
        name=p.name,
        agency_code=p.agency_code,
        admin_level=p.admin_level,
        online_level=p.online_level,
        processing_time=p.processing_time,
        fee=p.fee,
        retired=p.retired,
        receipt_cutoff=p.receipt_cutoff.strftime("%H:%M") if p.receipt_cutoff else None,
        online_processing_time=p.online_processing_time,
        supplement_time=ev.WorkingDays(value=p.supplement_time) if p.supplement_time is not None else None,
    )
