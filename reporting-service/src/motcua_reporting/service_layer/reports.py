"""The read side: the reports, as plain queries over the read models.

Flows (received, resolved, ratings, refusals, ...) come from the counters of the period; point-in-time
figures (carried over at `from`, in progress at `to`) add up the open-state changes up to that day
(domain/open_states.py). Either way a report reads a few counter documents (adapters/counters.py),
whatever the number of dossiers.
"""

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..adapters.catalogue_store import CatalogueStore
from ..adapters.counter_reads import CounterReads
from ..adapters.counters import months_of
from ..adapters.read_cache import CATALOGUE, Kept, Version
from ..adapters.read_models import ReadModels
from ..domain.catalogue import Catalogue, Scope
from ..domain.contributions import CounterKey, Kind
from ..domain.figures import (
    PeriodFigures,
    summary,
    summary_columns,
    tally_counters,
    tally_open_states,
    tally_uncollected,
)
from ..domain.online import online_indicators
from ..domain.succession import rows_at_period_end, standing_at_period_end
from .ports import CatalogueReader, CounterReader

FLOW_KINDS = [
    Kind.RECEIVED,
    Kind.RESOLVED,
    Kind.RETURNED_BY_POST,
    Kind.LATE_WITHOUT_APOLOGY,
    Kind.REFUSED,
    Kind.WITHDRAWN,
    Kind.RATED,
]
MONTH_FIGURES = ("received", "resolved", "early", "on_time", "late")


@dataclass(frozen=True)
class Asked:
    """What one report request reads once: the catalogue, and the scope asked within it."""

    catalogue: Catalogue
    scope: Scope
    agency_code: str | None = None


class Figures:
    """The reports that read only the catalogue and the counters (the ports in ports.py)."""

    def __init__(self, catalogue: CatalogueReader, counters: CounterReader) -> None:
        self.catalogue_store = catalogue
        self.counters = counters

    async def asked(self, agency_code: str | None, admin_level: str | None) -> Asked:
        """The catalogue, read once for the whole request, and the agency (with those below it) and
        level asked."""
        catalogue = await self.catalogue_store.load()
        agencies = frozenset(catalogue.with_descendants(agency_code)) if agency_code else None
        return Asked(catalogue, Scope(agencies, admin_level), agency_code)

    async def figures(self, start: date, end: date, asked: Asked) -> PeriodFigures:
        """The period's tallies, each dossier under the agency responsible at the period's end (an
        agency dissolved by then reads as its successor: domain/succession.py)."""
        catalogue, scope = asked.catalogue, asked.scope
        figures = PeriodFigures(start, end)
        at_end = catalogue.as_of(end)
        rows = rows_at_period_end(await self.counters.flows(FLOW_KINDS, start, end), catalogue, end)
        tally_counters(figures, rows, scope, at_end)
        carried, in_progress = await asyncio.gather(
            self.counters.standing_at_end_of(start - timedelta(days=1)), self.counters.standing_at_end_of(end)
        )
        tally_open_states(
            figures,
            standing_at_period_end(carried, catalogue, end),
            standing_at_period_end(in_progress, catalogue, end),
            scope,
            at_end,
        )
        uncollected = await self.counters.standing_at_end_of(end, Kind.UNCOLLECTED)
        tally_uncollected(figures, standing_at_period_end(uncollected, catalogue, end), scope, at_end)
        return figures

    async def summary(self, start: date, end: date, asked: Asked) -> dict[str, Any]:
        return summary(await self.figures(start, end, asked), asked.catalogue)

    async def agency_table(self, start: date, end: date, asked: Asked) -> list[dict[str, Any]]:
        """Every summary column per agency: agencies of the scope in the catalogue, plus any agency
        with figures (dossiers of an agency not yet catalogued are not hidden)."""
        catalogue, scope = asked.catalogue, asked.scope
        figures = await self.figures(start, end, asked)
        codes = set(figures.by_agency)
        for agency in catalogue.agencies.values():
            if catalogue.dissolved_by(agency.code, end):
                continue  # its dossiers are its successor's in this period
            if scope.agencies is None or agency.code in scope.agencies:
                if scope.admin_level is None or agency.admin_level == scope.admin_level:
                    codes.add(agency.code)
        counters = rows_at_period_end(await self.counters.flows([Kind.RECEIVED_FOR_OTHERS], start, end), catalogue, end)
        rows = [
            {
                "agency_code": code,
                "agency_name": catalogue.agency_name(code),
                **summary_columns(figures.by_agency.get(code) or figures.agency(code)),
            }
            for code in codes
        ]
        for row in rows:
            row["received_at_counter"] = received_at_counter(row, counters, scope, catalogue.as_of(end))
        return sorted(rows, key=lambda r: (-r["received"]["total"], r["agency_code"]))

    async def online(self, start: date, end: date, asked: Asked) -> dict[str, Any]:
        catalogue, scope = asked.catalogue, asked.scope
        rows = rows_at_period_end(
            await self.counters.flows([Kind.RECEIVED, Kind.PAID_ONLINE], start, end), catalogue, end
        )
        return {
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            **online_indicators(catalogue.as_of(end), rows, scope),
        }

    async def trend(self, start: date, end: date, asked: Asked) -> list[dict[str, Any]]:
        """Month by month: received, resolved by timeliness (from the counters)."""
        catalogue, scope = asked.catalogue, asked.scope
        rows = rows_at_period_end(await self.counters.flows([Kind.RECEIVED, Kind.RESOLVED], start, end), catalogue, end)
        catalogue = catalogue.as_of(end)
        months: dict[str, dict[str, int]] = {}
        for key, n in rows:
            if not scope.includes(key.agency, key.procedure, catalogue):
                continue
            month = months.setdefault(key.date[:7], dict.fromkeys(MONTH_FIGURES, 0))
            if key.kind == Kind.RECEIVED:
                month["received"] += n
            else:
                month["resolved"] += n
                if key.dim in month:
                    month[key.dim] += n
        return [{"month": m, **months.get(m, dict.fromkeys(MONTH_FIGURES, 0))} for m in months_of(start, end)]


class KeptCatalogue:
    """The catalogue, read once per version of the generation (adapters/read_cache.py)."""

    def __init__(self, kept: Kept) -> None:
        self._kept = kept
        self._store = CatalogueStore(kept.models)

    async def load(self) -> Catalogue:
        found = self._kept.get((CATALOGUE,))
        if found is None:
            found = await self._store.load()
            self._kept.put((CATALOGUE,), found, len(found.agencies) + len(found.procedures), [CATALOGUE])
        return found


class Reports(Figures):
    """The figures of one read-model generation, and its models for the reads beyond the counters
    (the drill-down, the scorecard, published reports). With the generation's `version` (read with
    the active generation), what an earlier request of the same version read is not read again."""

    def __init__(self, models: ReadModels, version: Version | None = None) -> None:
        kept = Kept(models, version)
        self.reads = CounterReads(kept)
        super().__init__(KeptCatalogue(kept), self.reads)
        self.models = models


def received_at_counter(
    row: dict[str, Any], counters: list[tuple[CounterKey, int]], scope: Scope, catalogue: Catalogue
) -> dict[str, int]:
    """The agency's row counted by receiving counter (issue 18 item 6): its own direct and postal
    dossiers less those received at other counters, plus those it received for other agencies (the
    `received_for_others` counters: agency = the counter, dim = the competent agency)."""
    code = row["agency_code"]
    by_channel = row["received"]["by_channel"]
    own_at_counters = by_channel["direct"]["count"] + by_channel["postal"]["count"]
    # The row is in the scope: all its counter's work is shown, whichever agency's procedures.
    for_others = sum(n for key, n in counters if key.agency == code)
    elsewhere = sum(n for key, n in counters if key.dim == code and scope.includes(code, key.procedure, catalogue))
    return {
        "total": own_at_counters - elsewhere + for_others,
        "for_other_agencies": for_others,
        "at_other_counters": elsewhere,
    }
