"""The counters as reports read them (the CounterReader port, service_layer/ports.py).

The stores are those of adapters/counters.py. A report asks for a few period documents of a store
(a day of the month-to-date store, a month, a year of the open states' monthly nets, the yearly
nets); each is read once per request, from every stream at once, and added up over the streams into
rows by kind and date, which the process keeps while the version lasts (read_cache.py). So a report
reads at most one document per stream and period, and none when nothing changed since it was kept.
"""

import asyncio
from collections import Counter
from datetime import date, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey, Kind
from .counter_store import Row, decode_rows, month_doc_id, months_between
from .counters import Standing, split_period
from .read_cache import Kept

Rows = list[tuple[CounterKey, int]]
Merged = dict[str, dict[str, Rows]]  # kind -> date -> rows, added up over the streams


def merge(docs: list[dict[str, Any] | None]) -> tuple[Merged, int]:
    """The rows of the streams' documents of one period, added up; and how many there are."""
    totals: dict[Row, int] = {}
    for doc in docs:
        if doc is not None:
            for row, n in decode_rows(doc.get("rows")).items():
                totals[row] = totals.get(row, 0) + n
    merged: Merged = {}
    keys = _KEYS
    for row, n in totals.items():
        if n:
            key = keys.get(row)
            if key is None:
                key = _new_key(row)
            merged.setdefault(key.kind, {}).setdefault(key.date, []).append((key, n))
    return merged, len(totals)


# One CounterKey per stored key, shared by every document read: a month's day documents repeat the
# same keys (dated by month: at 100k, 18,260 rows of a month's 31 documents hold 905 keys), so a
# day document costs a look-up per row instead of a frozen dataclass, and kept rows share them.
_KEYS: dict[Row, CounterKey] = {}
_KEYS_LIMIT = 100_000  # (about 25 MB at most) beyond it start again: keys already kept stay valid


def _new_key(row: Row) -> CounterKey:
    if len(_KEYS) >= _KEYS_LIMIT:
        _KEYS.clear()
    key = _KEYS[row] = CounterKey(*row)
    return key


class CounterReads:
    """The CounterReader of one request over one generation's counter stores."""

    def __init__(self, kept: Kept) -> None:
        models = kept.models
        self._kept = kept
        self._stores: dict[str, AsyncCollection[Any]] = {
            "days": models.days,
            "months": models.months,
            "open_months": models.open_months,
            "open_years": models.open_years,
        }
        self._reading: dict[tuple[str, str], asyncio.Future[Merged]] = {}
        self._streams: asyncio.Future[list[str]] | None = None

    async def _read_streams(self) -> list[str]:
        found = self._kept.streams()
        if found is None:
            found = sorted(doc["_id"] for doc in await self._kept.models.streams.find({}).to_list(None))
            self._kept.keep_streams(found)
        return list(found)

    async def streams(self) -> list[str]:
        if self._streams is None:
            self._streams = asyncio.ensure_future(self._read_streams())
        return await self._streams

    async def _read(self, store: str, period: str) -> Merged:
        key = (store, period)
        found = self._kept.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        streams = await self.streams()
        collection = self._stores[store]
        docs = await asyncio.gather(*(collection.find_one({"_id": month_doc_id(s, period)}) for s in streams))
        merged, size = merge(list(docs))
        self._kept.put(key, merged, size + 1, streams)
        return merged

    def doc(self, store: str, period: str) -> "asyncio.Future[Merged]":
        """The period's document of `store`, added up over the streams (read once per request)."""
        key = (store, period)
        if key not in self._reading:
            self._reading[key] = asyncio.ensure_future(self._read(store, period))
        return self._reading[key]

    async def flows(self, kinds: list[str], start: date, end: date) -> Rows:
        """Counter rows of `kinds` over [start, end], dated by month (several rows may share a key:
        callers add them up): the month-to-date documents of the months covered in part (the last
        day's less the day's before the first), the monthly totals of those covered whole."""
        parts, whole = split_period(start, end)
        plus, minus = [], []
        for lo, hi in parts:
            plus.append(self.doc("days", hi.isoformat()))
            if lo.day > 1:
                minus.append(self.doc("days", (lo - timedelta(days=1)).isoformat()))
        if whole:
            plus += [self.doc("months", month) for month in months_between(*whole)]
        docs = await asyncio.gather(*plus, *minus)
        rows: Rows = []
        for i, merged in enumerate(docs):
            sign = 1 if i < len(plus) else -1
            for kind in kinds:
                for dated in merged.get(kind, {}).values():
                    rows.extend(dated if sign == 1 else [(key, -n) for key, n in dated])
        return rows

    async def standing_at_end_of(self, day: date, kind: str = Kind.OPEN) -> Standing:
        """The dossiers open at the end of `day`, by agency, procedure and open state (with
        `Kind.UNCOLLECTED`: the results not collected then, state "-"): the nets up to its month
        (through its month when `day` ends it), plus its month's running total up to `day` otherwise."""
        ends_month = (day + timedelta(days=1)).day == 1
        standing = Counter(await self._standing_before(kind, day.isoformat()[:7], ends_month))
        if not ends_month:
            merged = await self.doc("days", day.isoformat())
            for rows in merged.get(kind, {}).values():
                for key, n in rows:
                    standing[(key.agency, key.procedure, key.dim)] += n
        return standing

    async def _standing_before(self, kind: str, month: str, through: bool) -> Standing:
        """The yearly nets before `month`'s year and the monthly nets of its year before `month` (and
        of `month` itself when `through`): the same for every day of the month, so kept once."""
        key = ("standing", kind, month, through)
        found = self._kept.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        year = month[:4]
        years, months = await asyncio.gather(self.doc("open_years", ""), self.doc("open_months", year))
        chosen = [rows for dated, rows in years.get(kind, {}).items() if dated < year]
        chosen += [
            rows for dated, rows in months.get(kind, {}).items() if dated < month or (through and dated == month)
        ]
        standing: Standing = Counter()
        for rows in chosen:
            for counter, n in rows:
                standing[(counter.agency, counter.procedure, counter.dim)] += n
        self._kept.put(key, standing, len(standing) + 1, await self.streams())
        return standing
