"""GET /v1/reports/*: the officials' reports (thin: the figures are built in service_layer/reports.py and domain/)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from motcua_shared.api import error_responses

from ...domain.narrative import narrative
from ..deps import ReportQueryDep, ReportsDep
from ..exports import Language, agency_table_csv, agency_table_xlsx
from ..schemas import AgencyTablePublic, NarrativePublic, OnlineIndicatorsPublic, SummaryPublic, TrendPublic

ERRORS = error_responses(
    {403: ["forbidden_agency"], 422: ["invalid_period"]},
    notes={
        403: "role not allowed, or an officer asking for another agency",
        422: "bad dates (format, out of range, `from` after `to`, over 20 years) or admin_level",
    },
)

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERRORS)


# The exports' column labels: Vietnamese with English beside, unless one language is asked for.
LanguageDep = Annotated[
    Language | None, Query(description="column labels in Vietnamese (`vi`) or English (`en`) only; both when absent")
]


def _period(query: ReportQueryDep) -> dict[str, str]:
    return {"from": query.start.isoformat(), "to": query.end.isoformat()}


@router.get("/summary", response_model=SummaryPublic)
async def get_summary(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """The period's figures (CONTRACT.md): received by channel, carried over, resolved by timeliness,
    in progress at `to`, busiest agencies, satisfaction; refusals and withdrawals apart."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await reports.summary(query.start, query.end, asked)


async def _table(query: ReportQueryDep, reports: ReportsDep) -> list[dict[str, Any]]:
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await reports.agency_table(query.start, query.end, asked)


@router.get("/agencies", response_model=AgencyTablePublic)
async def get_agency_table(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """Every summary column per agency, most dossiers received first."""
    rows = await _table(query, reports)
    return {"period": _period(query), "data": rows, "count": len(rows)}


@router.get(
    "/agencies.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the per-agency table as CSV"}},
)
async def get_agency_table_csv(query: ReportQueryDep, reports: ReportsDep, lang: LanguageDep = None) -> Response:
    """The per-agency table as CSV (UTF-8 with BOM, so spreadsheet programs read Vietnamese), headed
    "Vietnamese · English" (or one language with `lang`); a rate of nothing is an empty cell."""
    body = agency_table_csv(await _table(query, reports), lang)
    name = f"agencies_{query.start}_{query.end}.csv"
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/agencies.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the per-agency table as XLSX"}},
)
async def get_agency_table_xlsx(query: ReportQueryDep, reports: ReportsDep, lang: LanguageDep = None) -> Response:
    """The per-agency table as an Excel workbook, headed like the CSV."""
    body = agency_table_xlsx(await _table(query, reports), _period(query), lang)
    name = f"agencies_{query.start}_{query.end}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/online-services", response_model=OnlineIndicatorsPublic)
async def get_online_services(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """Online-service indicators: level 3/4 rates (overall, per admin level, per agency), online
    services with dossiers arising, online dossier rate, online payment rate."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await reports.online(query.start, query.end, asked)


@router.get("/narrative", response_model=NarrativePublic)
async def get_narrative(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """The period in words, in Vietnamese and English, from the summary's figures."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    body = await reports.summary(query.start, query.end, asked)
    return {"period": body["period"], "vi": narrative(body, "vi"), "en": narrative(body, "en")}


@router.get("/trend", response_model=TrendPublic)
async def get_trend(query: ReportQueryDep, reports: ReportsDep) -> dict[str, Any]:
    """Month by month: received, resolved and timeliness."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    return {"period": _period(query), "data": await reports.trend(query.start, query.end, asked)}
