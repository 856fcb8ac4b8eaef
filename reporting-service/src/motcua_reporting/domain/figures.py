"""The figures of a period, from counter rows (pure, no I/O).

A `Tally` holds one agency's (or the whole scope's) counts under flat names:
`received.direct`, `resolved.late`, `returned_by_post`, `rated.satisfied`, `carried_over`,
`in_progress.overdue`, ... Every report (summary, per-agency table, narrative, exports) is built
from the same tallies, so they always agree.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .catalogue import Catalogue, Scope
from .contributions import CounterKey, Kind
from .timeliness import on_time_rate, percent

CHANNELS = ("direct", "online", "postal")
TIMELINESS = ("early", "on_time", "late")
RATINGS = ("very_satisfied", "satisfied", "unsatisfied")

Tally = Counter[str]


def _name(key: CounterKey) -> str:
    return key.kind if key.dim == "-" else f"{key.kind}.{key.dim}"


@dataclass
class PeriodFigures:
    """Per-agency tallies of a period, for a scope."""

    start: date
    end: date
    by_agency: dict[str, Tally] = field(default_factory=dict)

    def agency(self, code: str) -> Tally:
        tally = self.by_agency.get(code)
        if tally is None:  # (not setdefault: a summary calls this once per counter row)
            tally = self.by_agency[code] = Counter()
        return tally

    @property
    def total(self) -> Tally:
        total: Tally = Counter()
        for tally in self.by_agency.values():
            total.update(tally)
        return total


def tally_counters(
    figures: PeriodFigures, rows: list[tuple[CounterKey, int]], scope: Scope, catalogue: Catalogue
) -> None:
    """Add the period's counter rows (already limited to [start, end]) that fall in `scope`."""
    for key, n in rows:
        if n and scope.includes(key.agency, key.procedure, catalogue):
            figures.agency(key.agency)[_name(key)] += n


def tally_open_states(
    figures: PeriodFigures,
    carried: Counter[tuple[str, str, str]],
    in_progress: Counter[tuple[str, str, str]],
    scope: Scope,
    catalogue: Catalogue,
) -> None:
    """carried_over (open at the end of the day before `start`) and in_progress at the end of `end`, by
    state, each under the agency handling the dossiers then: (agency, procedure, state) -> dossiers."""
    for (agency, procedure, _state), n in carried.items():
        if n and scope.includes(agency, procedure, catalogue):
            figures.agency(agency)["carried_over"] += n
    for (agency, procedure, state), n in in_progress.items():
        if n and scope.includes(agency, procedure, catalogue):
            figures.agency(agency)[f"in_progress.{state}"] += n


def tally_uncollected(
    figures: PeriodFigures, standing: Counter[tuple[str, str, str]], scope: Scope, catalogue: Catalogue
) -> None:
    """Results ready and not collected at the end of `end` (issue 18), under the agency then."""
    for (agency, procedure, _), n in standing.items():
        if n and scope.includes(agency, procedure, catalogue):
            figures.agency(agency)["uncollected"] += n


def share(count: int, total: int) -> dict[str, Any]:
    return {"count": count, "percent": percent(count, total)}


def summary_columns(tally: Tally) -> dict[str, Any]:
    """The summary's figures for one tally, in the contract's shape (plus a few extra fields)."""
    received = sum(tally[f"received.{c}"] for c in CHANNELS) + tally["received.?"]
    resolved = sum(tally[f"resolved.{t}"] for t in TIMELINESS) + tally["resolved.unclassified"]
    rated = sum(tally[f"rated.{r}"] for r in RATINGS)
    in_progress = {s: tally[f"in_progress.{s}"] for s in ("within_deadline", "overdue", "paused")}
    return {
        "received": {"total": received, "by_channel": {c: share(tally[f"received.{c}"], received) for c in CHANNELS}},
        "carried_over": tally["carried_over"],
        "resolved": {
            "total": resolved,
            **{t: share(tally[f"resolved.{t}"], resolved) for t in TIMELINESS},
            "returned_by_post": share(tally[Kind.RETURNED_BY_POST], resolved),
            "unclassified": tally["resolved.unclassified"],
            # Issue 18: late split by the apology letter (issued before the deadline it apologised for).
            "late_with_apology": share(tally["resolved.late"] - tally[Kind.LATE_WITHOUT_APOLOGY], resolved),
            "late_without_apology": share(tally[Kind.LATE_WITHOUT_APOLOGY], resolved),
        },
        "in_progress": {"total": sum(in_progress.values()), **in_progress},
        "refused": tally[Kind.REFUSED],
        "withdrawn": tally[Kind.WITHDRAWN],
        "on_time_rate": on_time_rate(tally["resolved.early"], tally["resolved.on_time"], tally["resolved.late"]),
        "late_without_apology": tally[Kind.LATE_WITHOUT_APOLOGY],
        "uncollected": tally["uncollected"],
        "satisfaction": {"total": rated, **{r: share(tally[f"rated.{r}"], rated) for r in RATINGS}},
    }


def received_of(tally: Tally) -> int:
    return sum(tally[f"received.{c}"] for c in CHANNELS) + tally["received.?"]


def busiest(figures: PeriodFigures, catalogue: Catalogue) -> list[dict[str, Any]]:
    """Agencies by dossiers received, largest first (ties by code, so the order is stable)."""
    rows = [
        {"agency_code": code, "agency_name": catalogue.agency_name(code), "received": received_of(tally)}
        for code, tally in figures.by_agency.items()
        if received_of(tally) > 0
    ]
    return sorted(rows, key=lambda r: (-r["received"], r["agency_code"]))


def summary(figures: PeriodFigures, catalogue: Catalogue) -> dict[str, Any]:
    """GET /v1/reports/summary's body (CONTRACT.md), from the period's figures."""
    return {
        "period": {"from": figures.start.isoformat(), "to": figures.end.isoformat()},
        **summary_columns(figures.total),
        "by_agency": busiest(figures, catalogue),
    }
