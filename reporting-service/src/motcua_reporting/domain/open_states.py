"""Point-in-time figures as counters: which open state a dossier is in, day by day.

Carried over at `from` and in progress at `to` ask, for one instant, which dossiers are open, with
which agency and in which state (`within_deadline`, `overdue`, `paused`). Reading the dossiers open
then would grow with the history, so each dossier instead contributes *state changes*: +1 to
("open", day, agency, procedure, state) on the day it enters a state and -1 on the day it leaves it
(a transfer, a pause, its due date passing, its result). The number in a state at the end of day D
is then the sum of those changes up to D. To keep that sum short, the changes are also kept added up
by month: a report adds the monthly nets before D's month and the daily changes of D's month up to D
-- counters whose number depends on the calendar and the catalogue, not on the number of dossiers.

"At the end of day D" is the first instant of the next day, as everywhere in the reports.
"""

from collections import Counter
from datetime import date, datetime, timedelta

from .dossier import OPEN, DossierView, instant, iso
from .timeliness import end_of, local_date

OPEN_STATES = ("within_deadline", "overdue", "paused")
UNKNOWN = "?"


def _at_end_of(view: DossierView, day: date) -> tuple[str, str]:
    """(agency, state) at the end of `day` of a dossier open then: `paused`, `overdue` (due date
    before `day`) or `within_deadline`."""
    when = iso(end_of(day))
    agency = view.agency_at(when) or UNKNOWN
    if view.paused_at(when):
        return agency, "paused"
    due = view.due_as_of(when)
    if due is not None and local_date(datetime.fromisoformat(due)) < day:
        return agency, "overdue"
    return agency, "within_deadline"


def standing(view: DossierView, day: date) -> tuple[str, str] | None:
    """(agency, state) at the end of `day`, or None when the dossier is not open then (received by
    `day`, not closed by it)."""
    received = view.received_date
    if received is None or day < received or view.closed_date <= day.isoformat():
        return None
    return _at_end_of(view, day)


def _days_that_may_change(view: DossierView) -> list[date]:
    """Every day whose end may see another agency or state than the day before's end: the days of
    transfers, pauses and due changes (and the day before, for one at midnight), and the day after
    each due date."""
    instants = [f["at"] for f in view.facts if f["type"] == "transferred"]
    instants += [p.start for p in view.pauses] + [p.end for p in view.pauses if p.end is not None]
    instants += [at for at, _ in view.due_changes]
    days: set[date] = set()
    for at in instants:
        day = local_date(instant(at))
        days.update((day, day - timedelta(days=1)))
    dues = [due for _, due in view.due_changes] + ([view.original_due_at] if view.original_due_at else [])
    days.update(local_date(instant(due)) + timedelta(days=1) for due in dues)
    return sorted(days)


def open_changes(view: DossierView) -> Counter[tuple[str, str, str]]:
    """(day, agency, state) -> +1 entering / -1 leaving, over the dossier's open life."""
    changes: Counter[tuple[str, str, str]] = Counter()
    # Each date property parses an instant: asked once here, not once per day (this took twice as
    # long in a rebuild, profiled, issue 16).
    received, closed = view.received_date, view.closed_date
    if received is None or closed <= received.isoformat():
        return changes
    current = _at_end_of(view, received)
    changes[(received.isoformat(), *current)] += 1
    for day in _days_that_may_change(view):
        if day <= received or closed <= day.isoformat():
            continue
        now = _at_end_of(view, day)  # open: after its receipt, before its close
        if now != current:
            changes[(day.isoformat(), *current)] -= 1
            changes[(day.isoformat(), *now)] += 1
            current = now
    if closed != OPEN:
        changes[(closed, *current)] -= 1
    return changes
