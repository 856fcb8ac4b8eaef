"""Registering agencies and publishing or retiring procedures."""

from datetime import UTC, datetime
from decimal import Decimal

from motcua_shared import events as ev
from motcua_shared.refusals import NotFound

from ..domain.codes import PROVINCE_TZ
from .unit import Decision, Intake


def _now() -> datetime:
    return datetime.now(UTC).astimezone(PROVINCE_TZ)


async def register_agency(
    intake: Intake,
    *,
    code: str,
    name: str,
    admin_level: ev.AdminLevel,
    parent_code: str | None,
    actor: str | None = None,
) -> Decision:
    """Register (or change) an agency; its parent must be known."""
    if parent_code is not None and await intake.catalogue.agency(parent_code) is None:
        raise NotFound("agency_not_found", f"there is no parent agency {parent_code}")
    data = ev.AgencyRegisteredData(agency_code=code, name=name, admin_level=admin_level, parent_code=parent_code)
    event = ev.AgencyRegistered(occurred_at=_now(), source=intake.source, actor=actor, data=data)
    return Decision(topic=intake.topics.catalog_events, key=code, events=[event], response=data.model_dump(mode="json"))


async def publish_procedure(
    intake: Intake,
    *,
    code: str,
    name: str,
    agency_code: str,
    admin_level: ev.AdminLevel | None,
    online_level: int,
    processing_time: ev.ProcessingTime,
    fee: Decimal | None,
    actor: str | None = None,
    receipt_cutoff: str | None = None,
    online_processing_time: ev.ProcessingTime | None = None,
    supplement_time: ev.WorkingDays | None = None,
) -> Decision:
    """Publish (or change) a procedure of a known agency; its level defaults to the agency's."""
    agency = await intake.catalogue.agency(agency_code)
    if agency is None:
        raise NotFound("agency_not_found", f"there is no agency {agency_code}")
    data = ev.ProcedurePublishedData(
        procedure_code=code,
        name=name,
        agency_code=agency_code,
        admin_level=admin_level or agency.admin_level,
        online_level=online_level,
        processing_time=processing_time,
        fee=fee,
        receipt_cutoff=receipt_cutoff,
        online_processing_time=online_processing_time,
        supplement_time=supplement_time,
    )
    event = ev.ProcedurePublished(occurred_at=_now(), source=intake.source, actor=actor, data=data)
    return Decision(
        topic=intake.topics.catalog_events,
        key=code,
        events=[event],
        response={**data.model_dump(mode="json"), "retired": False},
    )


async def retire_procedure(intake: Intake, *, code: str, actor: str | None = None) -> Decision:
    """Retire a procedure: it accepts no new dossier."""
    procedure = await intake.catalogue.procedure(code)
    if procedure is None:
        raise NotFound("procedure_not_found", f"there is no procedure {code}")
    event = ev.ProcedureRetired(
        occurred_at=_now(), source=intake.source, actor=actor, data=ev.ProcedureRetiredData(procedure_code=code)
    )
    return Decision(
        topic=intake.topics.catalog_events, key=code, events=[event], response={"procedure_code": code, "retired": True}
    )
