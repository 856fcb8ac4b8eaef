"""Dissolved agencies in reports (the two-level local government, from 1 July 2025).

A report counts each dossier under the agency responsible for it at the period's end: the counters
keep the agency of the day (the one that received, resolved or held the dossier then), and a report
for a period ending on or after an agency's dissolution reads that agency's counters as its
successor's. A period ending before the date shows the old agency and level, one ending after it the
new ones, and a period across the date counts each dossier once, under the successor.
"""

from collections import Counter
from dataclasses import replace
from datetime import date

from .catalogue import Catalogue
from .contributions import CounterKey


def rows_at_period_end(
    rows: list[tuple[CounterKey, int]], catalogue: Catalogue, end: date
) -> list[tuple[CounterKey, int]]:
    """Counter rows with each agency replaced by the one responsible on `end`."""
    if not catalogue.successions:
        return rows
    return [(replace(key, agency=catalogue.responsible(key.agency, end)), n) for key, n in rows]


def standing_at_period_end(
    standing: Counter[tuple[str, str, str]], catalogue: Catalogue, end: date
) -> Counter[tuple[str, str, str]]:
    """Open dossiers by (agency, procedure, state), each agency the one responsible on `end`."""
    if not catalogue.successions:
        return standing
    moved: Counter[tuple[str, str, str]] = Counter()
    for (agency, procedure, state), n in standing.items():
        moved[(catalogue.responsible(agency, end), procedure, state)] += n
    return moved
