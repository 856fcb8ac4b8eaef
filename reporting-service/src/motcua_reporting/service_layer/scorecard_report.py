"""The Decision 766 scorecard as a query: the summary's and the online indicators' counter reads, plus
the dossiers of the period for what no counter holds (digitisation, the resolution time), scored by
domain/scorecard.py."""

import asyncio
from datetime import date, timedelta
from typing import Any

from ..adapters.read_models import ReadModels
from ..domain.catalogue import Catalogue, Scope
from ..domain.contributions import UNKNOWN
from ..domain.dossier import instant
from ..domain.figures import PeriodFigures
from ..domain.scorecard import ScorecardCounts, Share, scorecard
from .reports import Asked, Reports

WHOLE_PROVINCE = ("Toàn tỉnh", "Whole province")
_MICROSECOND = timedelta(microseconds=1)


def scope_body(agency_code: str | None, admin_level: str | None, catalogue: Catalogue) -> dict[str, Any]:
    """Which unit a report is of, named as the forms name it."""
    unit_vi, unit_en = WHOLE_PROVINCE if agency_code is None else (catalogue.agency_name(agency_code),) * 2
    return {"agency_code": agency_code, "admin_level": admin_level, "unit_name_vi": unit_vi, "unit_name_en": unit_en}


def _share(figure: dict[str, Any]) -> Share:
    return Share(int(figure["count"]), int(figure["of"]))


def _in_scope(agency: str | None, procedure: str | None, end: date, scope: Scope, catalogue: Catalogue) -> bool:
    """As the counters are read (reports.py): under the agency responsible at the period's end."""
    at_end = catalogue.as_of(end)
    return scope.includes(at_end.responsible(agency or UNKNOWN, end), procedure or UNKNOWN, at_end)


async def _received(models: ReadModels, start: date, end: date, scope: Scope, catalogue: Catalogue) -> Share:
    """Dossiers received in the period digitised, of those whose submission said (by the receiving agency)."""
    docs = await models.dossiers.find(
        {"received_date": {"$gte": start.isoformat(), "$lte": end.isoformat()}},
        {"agency_code": 1, "procedure_code": 1, "digitised": 1},
    ).to_list(None)
    said = [
        d["digitised"]
        for d in docs
        if d.get("digitised") is not None
        and _in_scope(d.get("agency_code"), d.get("procedure_code"), end, scope, catalogue)
    ]
    return Share(sum(1 for v in said if v), len(said))


async def _resolved(
    models: ReadModels, start: date, end: date, scope: Scope, catalogue: Catalogue
) -> tuple[Share, int, int]:
    """Of the dossiers resolved in the period (under the agency that resolved them): the electronic
    results of those whose result said, and the summed time from the clock's start to the result."""
    docs = await models.dossiers.find(
        {"closed_date": {"$gte": start.isoformat(), "$lte": end.isoformat()}, "outcome": "resolved"},
        {
            "result_agency": 1,
            "handling_agency": 1,
            "procedure_code": 1,
            "accepted_at": 1,
            "received_at": 1,
            "result_at": 1,
            "electronic_result": 1,
        },
    ).to_list(None)
    electronic, said, microseconds, resolved = 0, 0, 0, 0
    for doc in docs:
        agency = doc.get("result_agency") or doc.get("handling_agency")
        if not doc.get("result_at") or not _in_scope(agency, doc.get("procedure_code"), end, scope, catalogue):
            continue
        if doc.get("electronic_result") is not None:
            said += 1
            electronic += bool(doc["electronic_result"])
        started = doc.get("accepted_at") or doc.get("received_at")
        if started:
            elapsed = instant(doc["result_at"]) - instant(started)
            microseconds += max(0, elapsed // _MICROSECOND)
            resolved += 1
    return Share(electronic, said), microseconds, resolved


async def scorecard_counts(
    reports: Reports, start: date, end: date, asked: Asked, figures: PeriodFigures | None = None
) -> ScorecardCounts:
    """`figures`: the period's, when the caller has them already (a published report does)."""
    models, scope, catalogue = reports.models, asked.scope, asked.catalogue
    figures, online, digitised, (electronic, microseconds, resolved) = await asyncio.gather(
        _given(figures) if figures is not None else reports.figures(start, end, asked),
        reports.online(start, end, asked),
        _received(models, start, end, scope, catalogue),
        _resolved(models, start, end, scope, catalogue),
    )
    total = figures.total
    in_time = total["resolved.early"] + total["resolved.on_time"]
    in_progress = sum(total[f"in_progress.{s}"] for s in ("within_deadline", "overdue", "paused"))
    rated = sum(total[f"rated.{r}"] for r in ("very_satisfied", "satisfied", "unsatisfied"))
    return ScorecardCounts(
        resolved_in_time=Share(in_time, in_time + total["resolved.late"]),
        open_overdue=Share(total["in_progress.overdue"], in_progress),
        resolution_microseconds=microseconds,
        resolved=resolved,
        online_dossiers=_share(online["online_dossiers"]),
        services_with_online_dossiers=_share(online["services_with_online_dossiers"]),
        paid_online=_share(online["online_payments"]),
        digitised=digitised,
        electronic_results=electronic,
        satisfied=Share(total["rated.very_satisfied"] + total["rated.satisfied"], rated),
    )


async def _given(figures: PeriodFigures) -> PeriodFigures:
    return figures


async def scorecard_report(
    reports: Reports, start: date, end: date, asked: Asked, figures: PeriodFigures | None = None
) -> dict[str, Any]:
    """GET /v1/reports/scorecard's body (`figures`: the period's, if computed already)."""
    counts = await scorecard_counts(reports, start, end, asked, figures)
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "scope": scope_body(asked.agency_code, asked.scope.admin_level, asked.catalogue),
        **scorecard(counts),
    }
