"""The resolution table as a query: the same counter reads as the summary (reports.py), added up per
field or per agency within each administrative level (domain/resolution.py)."""

import asyncio
from datetime import date, timedelta
from typing import Any

from ..domain.catalogue import Catalogue, Scope
from ..domain.resolution import LEVELS, UNKNOWN_LEVEL, Group, grouper, table, tally_groups
from ..domain.succession import rows_at_period_end, standing_at_period_end
from .reports import FLOW_KINDS, Asked, Reports

BY = ("field", "agency")
WHOLE_PROVINCE = ("Toàn tỉnh", "Whole province")


def _shown(by: str, scope: Scope, catalogue: Catalogue, end: date) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Row names, and per level the rows the catalogue gives the scope even without figures (not an
    agency dissolved by the period's end: its dossiers are its successor's)."""
    extra: dict[str, list[str]] = {}
    if by == "agency":
        names = {code: agency.name for code, agency in catalogue.agencies.items()}
        for agency in catalogue.agencies.values():
            if catalogue.dissolved_by(agency.code, end):
                continue
            level = agency.admin_level or UNKNOWN_LEVEL
            if (scope.agencies is None or agency.code in scope.agencies) and scope.admin_level in (None, level):
                extra.setdefault(level, []).append(agency.code)
        return names, extra
    names = {"other": "Khác"}
    for procedure in catalogue.active_procedures():
        code, name = catalogue.field_of(procedure.code)
        names.setdefault(code, name)
        level = catalogue.admin_level_of(procedure.code, procedure.agency_code) or UNKNOWN_LEVEL
        if (scope.agencies is None or procedure.agency_code in scope.agencies) and scope.admin_level in (None, level):
            extra.setdefault(level, []).append(code)
    return names, extra


async def resolution_table(reports: Reports, start: date, end: date, asked: Asked, by: str = "field") -> dict[str, Any]:
    """GET /v1/reports/resolution's body: rows per field (or agency) by level, subtotals, total."""
    catalogue, scope, agency_code = asked.catalogue, asked.scope, asked.agency_code
    rows, carried, in_progress = await asyncio.gather(
        reports.counters.flows(FLOW_KINDS, start, end),
        reports.counters.standing_at_end_of(start - timedelta(days=1)),
        reports.counters.standing_at_end_of(end),
    )
    # Each dossier under the agency responsible at the period's end (domain/succession.py), at its level.
    rows = rows_at_period_end(rows, catalogue, end)
    carried, in_progress = (
        standing_at_period_end(carried, catalogue, end),
        standing_at_period_end(in_progress, catalogue, end),
    )
    catalogue = catalogue.as_of(end)
    tallies: dict[Group, Any] = tally_groups(rows, carried, in_progress, scope, catalogue, grouper(by, catalogue))
    names, extra = _shown(by, scope, catalogue, end)
    if scope.admin_level is not None:  # one level asked: the others are not shown at all
        tallies = {g: t for g, t in tallies.items() if g[0] == scope.admin_level}
    body = table(tallies, names, extra)
    if scope.admin_level is not None:
        body["levels"] = [lv for lv in body["levels"] if lv["admin_level"] == scope.admin_level]
    unit_vi, unit_en = WHOLE_PROVINCE if agency_code is None else (catalogue.agency_name(agency_code),) * 2
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "by": by,
        "scope": {
            "agency_code": agency_code,
            "admin_level": scope.admin_level,
            "unit_name_vi": unit_vi,
            "unit_name_en": unit_en,
        },
        **body,
    }


__all__ = ["BY", "LEVELS", "resolution_table"]
