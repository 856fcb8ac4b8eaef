"""Pre-aggregated counters, in one document per stream and period, written by one writer at a time.

A counter (kind, date, agency, procedure, dim) lives in the document of its stream -- a partition of
dossier.events, whose dossiers only ever change there -- and its period (the month of a monthly
total, the year of the open states' monthly nets, ...; reports.py says which store holds what):

    {_id: "p0|2025-01", stream: "p0", period: "2025-01", pos: 4711,
     rows: zlib('[["received", "2025-01-06", "STNMT", "1.001", "direct", 12], …]')}

The rows are one compressed JSON text: FerretDB converts every nested field of a document on each
read and write, and a month's counters are thousands of them; as one small binary the same document
reads a hundred times faster (on its PostgreSQL backend, 2,800 rows: 1.3 ms as a blob, 190 ms as nested
objects), and a report decodes it with one `json.loads`. (`decode_rows` shows one.)
`pos` is the end of the last claim (see claims.py) whose changes are in the document. Claims of a
stream are applied one after the other by the one writer that holds the stream's chain, so the
document is never written by two writers at once, and a claim applied again after a crash changes
only the documents it had not reached (`pos` below the claim's start). Reports read documents by
`_id`, which every store answers from an index: their number grows with the periods asked for and the
partitions, not with the dossiers.
"""

import asyncio
import json
import zlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from motcua_shared.mongo import bulk_write_in_chunks, insert_once
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey

MONTH, YEAR = 7, 4  # how many characters of a counter's date name its document's period
Row = tuple[str, str, str, str, str]  # kind, date, agency, procedure, dim


def month_doc_id(stream: str, period: str) -> str:
    return f"{stream}|{period}"


def months_between(first: str, last: str) -> list[str]:
    """The months "YYYY-MM" from the month of `first` to the month of `last` (ISO dates or months)."""
    found, year, month = [], int(first[:4]), int(first[5:7])
    while (year, month) <= (int(last[:4]), int(last[5:7])):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def encode_rows(counts: Mapping[Row, int]) -> bytes:
    text = json.dumps([[*key, n] for key, n in sorted(counts.items()) if n], ensure_ascii=False)
    return zlib.compress(text.encode(), 1)


def _listed(blob: bytes | None) -> list[list[Any]]:
    return json.loads(zlib.decompress(blob)) if blob else []


def decode_rows(blob: bytes | None) -> dict[Row, int]:
    return {tuple(row[:5]): int(row[5]) for row in _listed(blob)}


class StreamRegistry:
    """The streams that have written read models: one document each, inserted once."""

    def __init__(self, streams: AsyncCollection[Any]) -> None:
        self._streams = streams
        self._known: set[str] = set()

    async def register(self, stream: str) -> None:
        if stream in self._known:
            return
        await insert_once(self._streams, {"_id": stream})
        self._known.add(stream)

    async def all(self) -> list[str]:
        return sorted([doc["_id"] async for doc in self._streams.find({})])


class CounterStore:
    def __init__(self, counters: AsyncCollection[Any], streams: AsyncCollection[Any], *, period: int = MONTH) -> None:
        self._counters = counters
        self._period = period
        self.streams = StreamRegistry(streams)

    def _placed(self, deltas: Mapping[str, int]) -> dict[str, dict[Row, int]]:
        """The changes each period document takes."""
        by_period: dict[str, dict[Row, int]] = {}
        for key_id, n in deltas.items():
            if n:
                row: Row = tuple(json.loads(key_id))
                by_period.setdefault(row[1][: self._period], {})[row] = n
        return by_period

    async def apply_claim(self, stream: str, start: int, end: int, deltas: Mapping[str, int]) -> int:
        """Add the claim's net `deltas` (counter key id -> change) to the stream's period documents that
        do not have it yet; the number of documents written."""
        by_period = self._placed(deltas)
        if not by_period:
            return 0
        await self.streams.register(stream)
        ids = [month_doc_id(stream, period) for period in by_period]
        found = await asyncio.gather(*(self._counters.find_one({"_id": i}) for i in ids))
        seen = {doc["_id"]: doc for doc in found if doc is not None}
        writes: list[InsertOne[Any] | UpdateOne] = []
        for period, changes in by_period.items():
            doc_id = month_doc_id(stream, period)
            doc = seen.get(doc_id)
            if doc is None:  # inserts go in one batch: far faster than upserts on FerretDB
                writes.append(
                    InsertOne(
                        {"_id": doc_id, "stream": stream, "period": period, "pos": end, "rows": encode_rows(changes)}
                    )
                )
            elif int(doc.get("pos", -1)) < start:
                counts = decode_rows(doc.get("rows"))
                for row, n in changes.items():
                    counts[row] = counts.get(row, 0) + n
                writes.append(UpdateOne({"_id": doc_id}, {"$set": {"pos": end, "rows": encode_rows(counts)}}))
            # else: this claim reached the document before a crash
        if writes:
            await bulk_write_in_chunks(self._counters, writes)
        return len(writes)

    async def rows(self, kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` dated in [start, end] (ISO dates, or months in the yearly store), one
        row per stream; callers add them up."""
        periods = sorted({m[: self._period] for m in months_between(start, end)})
        streams = await self.streams.all()
        docs = await asyncio.gather(
            *(self._counters.find_one({"_id": month_doc_id(s, p)}) for s in streams for p in periods)
        )
        return _rows(docs, kinds, start, end)

    async def rows_until(self, kinds: list[str], end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` dated up to `end`, from the first period on (one row per stream)."""
        docs = [doc async for doc in self._counters.find({"period": {"$lte": end[: self._period]}})]
        return _rows(docs, kinds, "", end)

    async def totals(self) -> dict[str, int]:
        """Every counter key's total over the streams (for tests and checks)."""
        found: dict[str, int] = {}
        async for doc in self._counters.find({}):
            for row, n in decode_rows(doc.get("rows")).items():
                key_id = CounterKey(*row).id
                found[key_id] = found.get(key_id, 0) + n
        return {k: n for k, n in found.items() if n}


class MonthToDate(CounterStore):
    """Daily counters as running totals from the first of the month: the document of a day holds every
    counter of its month up to that day (dated by month), so the counters of any days within one month
    are the difference of two documents, however many dossiers. A change on a day goes to the
    documents of that day and of every later day of its month."""

    def __init__(self, counters: AsyncCollection[Any], streams: AsyncCollection[Any]) -> None:
        super().__init__(counters, streams, period=10)

    def _placed(self, deltas: Mapping[str, int]) -> dict[str, dict[Row, int]]:
        by_day: dict[str, dict[Row, int]] = {}
        for key_id, n in deltas.items():
            if not n:
                continue
            kind, day, agency, procedure, dim = json.loads(key_id)
            row = (kind, day[:7], agency, procedure, dim)
            current = date.fromisoformat(day)
            while current.month == int(day[5:7]):
                counts = by_day.setdefault(current.isoformat(), {})
                counts[row] = counts.get(row, 0) + n
                current += timedelta(days=1)
        return by_day

    async def through(self, kinds: list[str], day: date) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` from the first of `day`'s month to the end of `day` (one row per stream)."""
        streams = await self.streams.all()
        docs = await asyncio.gather(
            *(self._counters.find_one({"_id": month_doc_id(s, day.isoformat())}) for s in streams)
        )
        return _rows(docs, kinds, "", "9999")


def _rows(docs: list[Any], kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
    """The counters of `kinds` dated in [start, end] in `docs`."""
    wanted = set(kinds)
    found = []
    for doc in docs:
        for kind, day, agency, procedure, dim, n in _listed((doc or {}).get("rows")):
            if n and kind in wanted and start <= day <= end:
                found.append((CounterKey(kind, day, agency, procedure, dim), int(n)))
    return found
