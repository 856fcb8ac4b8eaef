"""Dissolving an agency into its successor (the two-level local government, from 1 July 2025)."""

from datetime import UTC, date, datetime

from motcua_shared import events as ev
from motcua_shared.refusals import Invalid, NotFound

from ..domain.codes import PROVINCE_TZ
from .unit import Decision, Intake


async def supersede_agency(
    intake: Intake,
    *,
    code: str,
    successor_code: str,
    effective_date: date,
    reason: str | None,
    actor: str | None = None,
) -> Decision:
    """Publish `agency.superseded`: from `effective_date` the successor takes over `code`'s procedures and
    open dossiers (processing hands them over, reports count them under it from then)."""
    if successor_code == code:
        raise Invalid("same_agency", f"đơn vị {code} không thể tự kế nhiệm (an agency cannot succeed itself)")
    for known in (code, successor_code):
        if await intake.catalogue.agency(known) is None:
            raise NotFound("agency_not_found", f"không có đơn vị {known} (there is no agency {known})")
    if await intake.catalogue.responsible(successor_code, effective_date) != successor_code:
        raise Invalid(
            "successor_dissolved",
            f"đơn vị {successor_code} đã giải thể vào ngày {effective_date.isoformat()}; chọn đơn vị "
            f"kế nhiệm của nó (agency {successor_code} is itself dissolved by then: name its successor)",
        )
    data = ev.AgencySupersededData(
        agency_code=code, successor_code=successor_code, effective_date=effective_date, reason=reason
    )
    event = ev.AgencySuperseded(
        occurred_at=datetime.now(UTC).astimezone(PROVINCE_TZ), source=intake.source, actor=actor, data=data
    )
    return Decision(topic=intake.topics.catalog_events, key=code, events=[event], response=data.model_dump(mode="json"))
