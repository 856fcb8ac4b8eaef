"""Every counter store a report reads, and how a claim's counter changes reach each of them.

A dossier's contributions are daily counters (domain/contributions.py). They are kept as:
- `days`: running totals within each month (MonthToDate), for the days of a period's partial months;
- `months`: the monthly totals of the flows (received, resolved, ...), for the months a period covers whole;
- `open_months` (by year) and `open_years`: the nets of the open-state changes by month and by year, so
  that "open at the end of day D" adds the yearly nets before D's year, the monthly nets of D's year
  before D's month, and D's running total within its month.
A report therefore reads a few documents per stream, each bounded by the catalogue and the calendar
(agencies x procedures x dimensions, times the days of one month at most), however many dossiers.
"""

import asyncio
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta

from ..domain.contributions import Kind
from .counter_store import MONTH, YEAR, CounterStore, MonthToDate, Row, months_between, row_of
from .handover import HANDOVER, Written
from .read_cache import changes_of, mark_changed
from .read_models import META, ReadModels

Standing = Counter[tuple[str, str, str]]  # (agency, procedure, open state) -> dossiers


class Counters:
    def __init__(self, models: ReadModels) -> None:
        self._models = models
        # Day documents up to each month's frontier, stored beside the change marks (counter_store.py).
        self.days = MonthToDate(models.days, models.streams, models.db[META], models.prefix)
        self.months = CounterStore(models.months, models.streams)
        self.open_months = CounterStore(models.open_months, models.streams, period=YEAR)
        self.open_years = CounterStore(models.open_years, models.streams, period=0)
        for store in (self.months, self.open_months, self.open_years):
            store.streams = self.days.streams  # one registration of a stream, not one per store

    def began(self, stream: str, position: int) -> None:
        """The stream's chain began at `position` with this writer: no store has a document of it yet."""
        for store in (self.days, self.months, self.open_months, self.open_years):
            store.began(stream, position)

    async def apply_claim(self, stream: str, start: int, end: int, deltas: Mapping[str, int]) -> None:
        """The claim's net daily changes (counter key id -> change), into every store."""
        days: Counter[Row] = Counter()
        months: Counter[Row] = Counter()
        open_months: Counter[Row] = Counter()
        open_years: Counter[Row] = Counter()
        for key_id, n in deltas.items():
            row = row_of(key_id)
            kind, day, agency, procedure, dim = row
            days[row] += n
            if kind in (Kind.OPEN, Kind.UNCOLLECTED):  # point-in-time: nets by month and year
                open_months[(kind, day[:MONTH], agency, procedure, dim)] += n
                open_years[(kind, day[:YEAR], agency, procedure, dim)] += n
            else:
                months[(kind, day[:MONTH], agency, procedure, dim)] += n
        stores = (self.days, self.months, self.open_months, self.open_years)
        for store in stores:
            store.written.pop(stream, None)
        done = await asyncio.gather(
            self.days.apply_claim(stream, start, end, days),
            self.months.apply_claim(stream, start, end, months),
            self.open_months.apply_claim(stream, start, end, open_months),
            self.open_years.apply_claim(stream, start, end, open_years),
            return_exceptions=True,  # every store's write over before a failure goes up: a retry races none
        )
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome
        # After the writes, never before: what readers keep is valid until then (read_cache.py).
        token, continued = await mark_changed(self._models, stream, changes_of(deltas))
        written: dict[tuple[str, str], Written] | None = {}
        for store in stores:
            mine = store.written.pop(stream, {})
            written = None if written is None or mine is None else {**written, **mine}
        HANDOVER.marked((self._models.db.name, self._models.prefix, stream), token, written, continued)

    async def totals(self) -> dict[str, int]:
        """Every counter of every store, "store:key id" -> total over the streams (for tests and checks)."""
        found: dict[str, int] = {}
        for name in ("days", "months", "open_months", "open_years"):
            store: CounterStore = getattr(self, name)
            found.update({f"{name}:{k}": n for k, n in (await store.totals()).items()})
        return found


def split_period(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[str, str] | None]:
    """[start, end] as the days of the months it covers in part (at most two ranges) and the first and
    last of the months it covers whole (None if none)."""
    parts, whole = [], []
    for month in months_of(start, end):
        first = date.fromisoformat(f"{month}-01")
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        lo, hi = max(start, first), min(end, last)
        if (lo, hi) == (first, last):
            whole.append(month)
        else:
            parts.append((lo, hi))
    return parts, (whole[0], whole[-1]) if whole else None


def months_of(start: date, end: date) -> list[str]:
    """The months "YYYY-MM" from `start`'s to `end`'s."""
    return months_between(start.isoformat(), end.isoformat())
