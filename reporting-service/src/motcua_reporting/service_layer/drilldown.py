"""Drill-down: the dossiers behind a figure of the summary, the per-agency table or the resolution table.

A dossier document keeps the counters it adds to (`contributions`, domain/contributions.py) -- the
very changes the counter documents are the sums of. So a dossier is behind a figure when its own
contributions, read exactly as a report reads the counters (flows dated within the period; open-state
changes added up to the end of the day), put it in that figure: the lists of a figure add up to the
figure by construction. The store narrows the candidates by the indexed dates; the rest is decided here.
As in every report, a dossier counts under the agency responsible at the period's end (an agency
dissolved by then reads as its successor, domain/succession.py).
"""

from collections import Counter
from datetime import date, timedelta
from typing import Any

from ..adapters.read_models import ReadModels
from ..domain.catalogue import Catalogue, Scope
from ..domain.contributions import CounterKey, Kind
from ..domain.dossier import OPEN
from ..domain.resolution import figure_name, level_of
from ..domain.timeliness import end_of, start_of

# Figure -> the tally names (domain/figures.py) it adds up.
FIGURES: dict[str, tuple[str, ...]] = {
    "received": ("received.direct", "received.online", "received.postal", "received.?"),
    "received.direct": ("received.direct",),
    "received.online": ("received.online",),
    "received.postal": ("received.postal",),
    "received.direct_or_postal": ("received.direct", "received.postal", "received.?"),
    "carried_over": ("carried_over",),
    "to_resolve": ("received.direct", "received.online", "received.postal", "received.?", "carried_over"),
    "resolved": ("resolved.early", "resolved.on_time", "resolved.late", "resolved.unclassified"),
    "resolved.early": ("resolved.early",),
    "resolved.on_time": ("resolved.on_time",),
    "resolved.late": ("resolved.late",),
    "resolved.unclassified": ("resolved.unclassified",),
    "returned_by_post": ("returned_by_post",),
    "late_without_apology": ("late_without_apology",),
    "in_progress": ("in_progress.within_deadline", "in_progress.overdue", "in_progress.paused"),
    "in_progress.within_deadline": ("in_progress.within_deadline",),
    "in_progress.overdue": ("in_progress.overdue",),
    "in_progress.paused": ("in_progress.paused",),
    "refused": ("refused",),
    "withdrawn": ("withdrawn",),
    "rated": ("rated.very_satisfied", "rated.satisfied", "rated.unsatisfied"),
    "rated.very_satisfied": ("rated.very_satisfied",),
    "rated.satisfied": ("rated.satisfied",),
    "rated.unsatisfied": ("rated.unsatisfied",),
}
# The resolution table's column names, as figures too.
FIGURES.update(
    {
        "received_online": FIGURES["received.online"],
        "received_direct_or_postal": FIGURES["received.direct_or_postal"],
        "resolved_early": FIGURES["resolved.early"],
        "resolved_on_time": FIGURES["resolved.on_time"],
        "resolved_late": FIGURES["resolved.late"],
        "resolved_unclassified": FIGURES["resolved.unclassified"],
        "in_progress_within_deadline": FIGURES["in_progress.within_deadline"],
        "in_progress_overdue": FIGURES["in_progress.overdue"],
        "in_progress_paused": FIGURES["in_progress.paused"],
    }
)
FIELDS = {
    "_id": 1,
    "dossier_code": 1,
    "procedure_code": 1,
    "channel": 1,
    "status": 1,
    "received_date": 1,
    "due_date": 1,
    "result_date": 1,
    "closed_date": 1,
    "contributions": 1,
}
PAGE = 500  # candidates read per round trip


def _candidates(names: tuple[str, ...], start: date, end: date) -> list[dict[str, Any]]:
    """Store filters that every dossier behind these names passes (a superset: decided afterwards)."""
    first, last, before = start.isoformat(), end.isoformat(), (start - timedelta(days=1)).isoformat()
    found: list[dict[str, Any]] = []
    kinds = {name.split(".")[0] for name in names}
    if "received" in kinds:
        found.append({"received_date": {"$gte": first, "$lte": last}})
    if kinds & {Kind.RESOLVED, Kind.RETURNED_BY_POST, Kind.LATE_WITHOUT_APOLOGY, Kind.REFUSED, Kind.WITHDRAWN}:
        found.append({"closed_date": {"$gte": first, "$lte": last}})
    if "carried_over" in kinds:
        found.append({"received_date": {"$lte": before}, "closed_date": {"$gt": before}})
    if "in_progress" in kinds:
        found.append({"received_date": {"$lte": last}, "closed_date": {"$gt": last}})
    if Kind.RATED in kinds:
        found.append(
            {
                "rated_at": {
                    "$gte": start_of(start).isoformat(timespec="microseconds"),
                    "$lt": end_of(end).isoformat(timespec="microseconds"),
                }
            }
        )
    return found


def behind(
    doc: dict[str, Any],
    names: tuple[str, ...],
    start: date,
    end: date,
    scope: Scope,
    catalogue: Catalogue,
    at_end: Catalogue,
    field_code: str | None,
    row_agency: str | None,
) -> str | None:
    """The agency under which the dossier counts in one of `names` for the period and scope (None:
    it does not), read from its contributions as a report reads the counters. `catalogue`: the whole
    one (with the successions); `at_end`: it as of `end` (catalogue.as_of), which the scope is matched on."""
    first, last, before = start.isoformat(), end.isoformat(), (start - timedelta(days=1)).isoformat()
    carried: Counter[tuple[str, str, str]] = Counter()
    open_at_end: Counter[tuple[str, str, str]] = Counter()
    counted: list[tuple[str, str, str]] = []  # (tally name, agency, procedure)
    for item in doc.get("contributions", []):
        key, n = CounterKey.from_id(item["k"]), int(item["n"])
        if key.kind == Kind.OPEN:
            if key.date <= before:
                carried[(key.agency, key.procedure, key.dim)] += n
            if key.date <= last:
                open_at_end[(key.agency, key.procedure, key.dim)] += n
        elif first <= key.date <= last and n > 0:
            counted.append((figure_name(key), key.agency, key.procedure))
    counted += [("carried_over", a, p) for (a, p, _s), n in carried.items() if n > 0]
    counted += [(f"in_progress.{s}", a, p) for (a, p, s), n in open_at_end.items() if n > 0]
    for name, held_by, procedure in counted:
        agency = catalogue.responsible(held_by, end)
        if name not in names or not scope.includes(agency, procedure, at_end):
            continue
        if row_agency is not None and agency != row_agency:
            continue
        if field_code is not None and at_end.field_of(procedure)[0] != field_code:
            continue
        return agency
    return None


def _item(doc: dict[str, Any], agency: str, catalogue: Catalogue) -> dict[str, Any]:
    procedure = doc.get("procedure_code") or "?"
    return {
        "dossier_code": doc.get("dossier_code"),
        "agency_code": agency,
        "procedure_code": procedure,
        "field_code": catalogue.field_of(procedure)[0],
        "admin_level": level_of(catalogue, procedure, agency),
        "channel": doc.get("channel"),
        "received_date": None if doc.get("received_date") == OPEN else doc.get("received_date"),
        "due_date": doc.get("due_date"),
        "result_date": doc.get("result_date"),
        "status": doc.get("status"),
    }


async def dossiers_behind(
    models: ReadModels,
    catalogue: Catalogue,
    figure: str,
    start: date,
    end: date,
    scope: Scope,
    *,
    field_code: str | None = None,
    row_agency: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """One page of the dossiers behind `figure`, in the order of their ids; `next_cursor` continues."""
    names = FIGURES[figure]
    at_end = catalogue.as_of(end)
    query: dict[str, Any] = {"$or": _candidates(names, start, end)}
    items: list[dict[str, Any]] = []
    after = cursor
    next_cursor = None
    while True:
        page_query = {**query, "_id": {"$gt": after}} if after is not None else query
        # Read a page to a list first: no cursor is held open while the consumer writes.
        docs = await models.dossiers.find(page_query, FIELDS).sort("_id", 1).limit(PAGE).to_list()
        for doc in docs:
            agency = behind(doc, names, start, end, scope, catalogue, at_end, field_code, row_agency)
            if agency is None:
                continue
            if len(items) == limit:
                next_cursor = items[-1]["_cursor"]
                break
            items.append({**_item(doc, agency, at_end), "_cursor": str(doc["_id"])})
        if next_cursor is not None or len(docs) < PAGE:
            break
        after = str(docs[-1]["_id"])
    for item in items:
        del item["_cursor"]
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "figure": figure,
        "data": items,
        "count": len(items),
        "next_cursor": next_cursor,
    }
