"""Annotated dependencies for the reports routes, read from what bootstrap.py put on the app state:
the reports of the active generation, the published reports, the period, and the caller's scope
(officials and admins: any agency; officers: their own agency only)."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from motcua_shared.api import ApiError, FieldProblem
from motcua_shared.auth import Principal, Role, ensure_agency, require_role
from motcua_shared.events import AdminLevel

from ..service_layer.reports import Reports
from ..service_layer.unit import Reporting

MAX_PERIOD_DAYS = 366 * 20
# The dates a report may name: at the far ends of `date` the province's midnight is not a datetime.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def get_reporting(request: Request) -> Reporting:
    """What bootstrap.py put on the app."""
    reporting: Reporting = request.app.state.reporting
    return reporting


async def get_reports(reporting: Annotated[Reporting, Depends(get_reporting)]) -> Reports:
    return await reporting.reports()


ReportingDep = Annotated[Reporting, Depends(get_reporting)]
ReportsDep = Annotated[Reports, Depends(get_reports)]
Reader = Annotated[Principal, Depends(require_role(Role.OFFICIAL, Role.ADMIN, Role.OFFICER))]


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date
    agency_code: str | None
    admin_level: str | None


def report_query(
    principal: Reader,
    from_: Annotated[date, Query(alias="from", description="first day, YYYY-MM-DD (Asia/Ho_Chi_Minh), inclusive")],
    to: Annotated[date, Query(description="last day, YYYY-MM-DD (Asia/Ho_Chi_Minh), inclusive")],
    agency_code: Annotated[
        str | None, Query(min_length=1, max_length=50, description="this agency and the agencies below it")
    ] = None,
    admin_level: AdminLevel | None = None,
) -> ReportQuery:
    """The validated period and scope; an officer is limited to their agency (403 forbidden_agency)."""
    for name, day in (("from", from_), ("to", to)):
        if not EARLIEST <= day <= LATEST:
            raise ApiError(
                422,
                "invalid_period",
                f"`{name}` must be between {EARLIEST} and {LATEST}",
                fields=[FieldProblem(field=f"query.{name}", message="out of range")],
            )
    if from_ > to:
        raise ApiError(
            422,
            "invalid_period",
            "`from` must not be after `to`",
            fields=[FieldProblem(field="query.from", message="after `to`")],
        )
    if (to - from_).days > MAX_PERIOD_DAYS:
        raise ApiError(
            422,
            "invalid_period",
            "the period may not exceed 20 years",
            fields=[FieldProblem(field="query.to", message="too far from `from`")],
        )
    if principal.role is Role.OFFICER:
        if principal.agency_code is None:
            raise ApiError(403, "forbidden_agency", "an officer's token must name their agency")
        if agency_code is None:
            agency_code = principal.agency_code  # an officer's report is their agency's
        ensure_agency(principal, agency_code)
    return ReportQuery(from_, to, agency_code, admin_level.value if admin_level else None)


ReportQueryDep = Annotated[ReportQuery, Depends(report_query)]
