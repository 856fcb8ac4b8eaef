"""GET /v1/reports/resolution*: the periodic report's resolution table (JSON, CSV, XLSX), and
GET /v1/reports/dossiers: the dossiers behind any figure (the drill-down)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...service_layer.drilldown import dossiers_behind
from ...service_layer.resolution_report import resolution_table
from ..deps import ReportQueryDep, ReportsDep
from ..resolution_exports import resolution_csv, resolution_xlsx
from ..resolution_schemas import DossiersBehindPublic, Figure, ResolutionTablePublic
from .reports import ERRORS, XLSX, LanguageDep

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERRORS)

ByDep = Annotated[
    Literal["field", "agency"],
    Query(description="one row per field (lĩnh vực, default) or per agency, within each administrative level"),
]


async def _table(query: ReportQueryDep, reports: ReportsDep, by: str) -> dict[str, Any]:
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await resolution_table(reports, query.start, query.end, asked, by)


@router.get("/resolution", response_model=ResolutionTablePublic)
async def get_resolution(query: ReportQueryDep, reports: ReportsDep, by: ByDep = "field") -> dict[str, Any]:
    """The resolution table of the periodic report (Circular 01/2020/TT-VPCP): rows per field (or
    agency) grouped by level (provincial, district, commune), a subtotal per level and the total.
    (3) = (4) + (5) + (6); (7) = (8) + (9) + (10); (11) = (12) + (13) + paused; refused and
    withdrawn apart, so that (3) = (7) + (11) + refused + withdrawn (docs/reporting.md)."""
    return await _table(query, reports, by)


@router.get(
    "/resolution.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the resolution table as CSV"}},
)
async def get_resolution_csv(
    query: ReportQueryDep, reports: ReportsDep, by: ByDep = "field", lang: LanguageDep = None
) -> Response:
    """The resolution table as CSV (UTF-8 with BOM): rows, level subtotals and the total."""
    body = resolution_csv(await _table(query, reports, by), lang)
    name = f"resolution_{by}_{query.start}_{query.end}.csv"
    return Response(
        body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/resolution.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the resolution table in the form's layout"}},
)
async def get_resolution_xlsx(
    query: ReportQueryDep, reports: ReportsDep, by: ByDep = "field", lang: LanguageDep = None
) -> Response:
    """The resolution table as the form is filed: title with the period and the reporting unit, a
    merged two-level header with the form's column numbers, level subtotals and the total in bold."""
    body = resolution_xlsx(await _table(query, reports, by), lang)
    name = f"resolution_{by}_{query.start}_{query.end}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/dossiers", response_model=DossiersBehindPublic)
async def get_dossiers_behind(
    query: ReportQueryDep,
    reports: ReportsDep,
    figure: Annotated[
        Figure,
        Query(
            description="the figure to open: a summary or per-agency count "
            "(`resolved.late`, `in_progress.overdue`, ...) or a column "
            "of the resolution table (`to_resolve`, `resolved_early`, ...)"
        ),
    ],
    field_code: Annotated[
        str | None, Query(min_length=1, max_length=50, description="a row of the table by field (`other`: none)")
    ] = None,
    row_agency: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=50,
            description="a row of a per-agency table: dossiers counted under "
            "this agency itself, not the agencies below it",
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The dossiers behind a figure, for the same period and scope as the report it is in (the lists
    of all pages add up to the figure): code, agency, procedure, channel, received, due and result
    dates, status; no personal data. Officials any agency, officers their own only."""
    asked = await reports.asked(query.agency_code, query.admin_level)
    return await dossiers_behind(
        reports.models,
        asked.catalogue,
        figure.value,
        query.start,
        query.end,
        asked.scope,
        field_code=field_code,
        row_agency=row_agency,
        cursor=cursor,
        limit=limit,
    )
