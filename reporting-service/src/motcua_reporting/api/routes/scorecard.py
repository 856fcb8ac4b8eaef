"""GET /v1/reports/scorecard (Decision 766/QĐ-TTg) and the published reports:
POST/GET /v1/reports/published, GET /v1/reports/published/{id}, GET /v1/reports/published/{id}/diff."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from motcua_shared.api import ApiError, FieldProblem, error_responses
from motcua_shared.auth import Principal, Role, ensure_agency, require_role

from ...adapters.published_store import PublishedStore
from ...domain.dossier import iso
from ...service_layer.published import diff, entry, publish
from ...service_layer.scorecard_report import scorecard_report
from ..deps import Reader, ReportingDep, ReportQueryDep, ReportsDep, report_query
from ..scorecard_schemas import (
    PublishedDiff,
    PublishedList,
    PublishedReportPublic,
    PublishRequest,
    ScorecardPublic,
)
from .reports import ERRORS

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERRORS)
NOT_FOUND = error_responses({404: ["not_found"]}, notes={404: "no published report has this id"})
Publisher = Annotated[Principal, Depends(require_role(Role.OFFICIAL))]


def store(reporting: ReportingDep) -> PublishedStore:
    return reporting.published


StoreDep = Annotated[PublishedStore, Depends(store)]


@router.get("/scorecard", response_model=ScorecardPublic)
async def get_scorecard(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """The Decision 766/QĐ-TTg (2022) scorecard of the period, for an agency (and those below it) or
    the whole province: its groups and indicators, each with its value, points and maximum.
    Indicators the events cannot support are listed with `assessed: false` and left out of every
    total: `total_points` and `max_points` add up the assessed indicators only (docs/reporting.md)."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await scorecard_report(reports, query.start, query.end, asked)


@router.post(
    "/published",
    status_code=201,
    response_model=PublishedReportPublic,
    responses={201: {"description": "the published report, as it will always read back"}},
)
async def post_published(
    body: PublishRequest, principal: Publisher, reports: ReportsDep, published: StoreDep
) -> Response:
    """Publish (freeze) the period's report: the summary, the resolution table and the scorecard,
    with the positions of `dossier.events` reporting had folded up to. Officials only."""
    query = report_query(principal, body.from_, body.to, body.agency_code, body.admin_level)
    text = await publish(
        reports, published, query.start, query.end, query.agency_code, query.admin_level, principal.subject
    )
    return Response(text, status_code=201, media_type="application/json")


def _readable(principal: Principal, agency_code: str | None) -> bool:
    return principal.role is not Role.OFFICER or (agency_code is not None and principal.may_act_for(agency_code))


@router.get("/published", response_model=PublishedList)
async def list_published(
    principal: Reader,
    published: StoreDep,
    from_: Annotated[
        str | None,
        Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="only reports of periods starting on this day"),
    ] = None,
    to: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="only reports of periods ending on this day")
    ] = None,
    agency_code: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    as_of: Annotated[
        datetime | None,
        Query(
            description="only reports published by then (ISO 8601 with an "
            "offset): what officials could read at that time"
        ),
    ] = None,
) -> dict[str, Any]:
    """The published reports, newest first (an officer sees their own agency's only)."""
    query: dict[str, Any] = {}
    if from_:
        query["from"] = from_
    if to:
        query["to"] = to
    if agency_code:
        query["agency_code"] = agency_code
    if as_of is not None:
        if as_of.tzinfo is None:
            raise ApiError(
                422,
                "invalid_period",
                "`as_of` needs a UTC offset",
                fields=[FieldProblem(field="query.as_of", message="no offset")],
            )
        query["published_at"] = {"$lte": iso(as_of)}
    rows = [entry(doc) for doc in await published.list(query) if _readable(principal, doc.get("agency_code"))]
    return {"data": rows, "count": len(rows)}


async def _report(report_id: str, principal: Principal, published: PublishedStore) -> dict[str, Any]:
    doc = await published.get(report_id)
    if doc is None:
        raise ApiError(404, "not_found", "no published report has this id")
    if principal.role is Role.OFFICER:
        ensure_agency(principal, doc.get("agency_code") or "")
    return doc


@router.get("/published/{report_id}", response_model=PublishedReportPublic, responses=NOT_FOUND)
async def get_published(report_id: str, principal: Reader, published: StoreDep) -> Response:
    """The published report, byte for byte as it was published, however the live figures changed since."""
    doc = await _report(report_id, principal, published)
    return Response(doc["body"], media_type="application/json")


@router.get("/published/{report_id}/diff", response_model=PublishedDiff, responses=NOT_FOUND)
async def get_published_diff(
    report_id: str, principal: Reader, published: StoreDep, reports: ReportsDep
) -> dict[str, Any]:
    """Each figure of the published report that differs from today's (path, published, live), and why:
    how many events of the period (and before it) were folded after the publication."""
    return await diff(reports, await _report(report_id, principal, published))
