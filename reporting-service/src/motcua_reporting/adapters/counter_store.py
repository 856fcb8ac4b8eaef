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

Writing (issue 16): a store keeps, per stream, the documents it last wrote (`Known`), valid while the
claims it applies follow on from the last one it applied (the claim's start is the cached position + 1:
no other writer can have applied a claim of the stream in between, the chain being one line). So a
claim reads only the documents it has not seen, and a stream whose chain began with this writer (a
rebuild, a fresh generation) reads none. Every cached update is conditional on `pos` being below the
claim's start: one that matches nothing (another writer applied the same claim, racing a takeover)
leaves what is there, as the read path does, and drops the cache. Each document is written once per
claim, whatever number of its counters change.
"""

import asyncio
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from motcua_shared.mongo import insert_once
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey
from .bulk import insert_new, update_all

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
    text = ",".join(f"{_row_text(key)}{n}]" for key, n in sorted(counts.items()) if n)
    return zlib.compress(f"[{text}]".encode(), 1)


@lru_cache(maxsize=65536)
def _row_text(row: Row) -> str:
    """A row's JSON text up to its count (`["received", ..., "direct", `): encoded once per process."""
    return json.dumps(list(row), ensure_ascii=False)[:-1] + ", "


@lru_cache(maxsize=65536)
def row_of(key_id: str) -> Row:
    """A counter key id (CounterKey.id) as a row."""
    kind, day, agency, procedure, dim = json.loads(key_id)
    return (kind, day, agency, procedure, dim)


def _listed(blob: bytes | None) -> list[list[Any]]:
    return json.loads(zlib.decompress(blob)) if blob else []


def decode_rows(blob: bytes | None) -> dict[Row, int]:
    return {tuple(row[:5]): int(row[5]) for row in _listed(blob)}


class StreamRegistry:
    """The streams that have written read models: one document each, inserted once."""

    def __init__(self, streams: AsyncCollection[Any]) -> None:
        self._streams = streams
        self._known: set[str] = set()
        self._registering = asyncio.Lock()  # the stores sharing a registry register a stream once

    async def register(self, stream: str) -> None:
        if stream in self._known:
            return
        async with self._registering:
            if stream not in self._known:
                await insert_once(self._streams, {"_id": stream})
                self._known.add(stream)

    async def all(self) -> list[str]:
        return sorted([doc["_id"] async for doc in self._streams.find({})])


class ClaimConflict(Exception):
    """Documents a claim was to write were written by another writer meanwhile: the claim is applied
    again, from the store."""


@dataclass
class Known:
    """The documents of one stream as this store last wrote them, valid through claim position `through`."""

    through: int
    docs: dict[str, dict[Row, int]] = field(default_factory=dict)  # doc id -> counts, least recent first
    # Every document of the stream, when its chain began with this writer (else None: unlisted ones may exist).
    existing: set[str] | None = None
    rows: int = 0  # rows held in `docs`

    def keep(self, doc_id: str, counts: dict[Row, int]) -> None:
        self.rows -= len(self.docs.pop(doc_id, ()))
        self.docs[doc_id] = counts
        self.rows += len(counts)

    def evict_to(self, limit: int) -> None:
        while self.rows > limit and len(self.docs) > 1:
            oldest = next(iter(self.docs))
            self.rows -= len(self.docs.pop(oldest))

    def may_exist(self, doc_id: str) -> bool:
        return self.existing is None or doc_id in self.existing


class CounterStore:
    # Rows of decoded documents kept per stream (a month of daily documents is ~31 x catalogue rows).
    cache_rows = 60_000

    def __init__(self, counters: AsyncCollection[Any], streams: AsyncCollection[Any], *, period: int = MONTH) -> None:
        self._counters = counters
        self._period = period
        self.streams = StreamRegistry(streams)
        self._known: dict[str, Known] = {}

    def began(self, stream: str, position: int) -> None:
        """The stream's chain began at `position` with this writer: it has no document yet."""
        self._known[stream] = Known(position - 1, existing=set())

    def _placed(self, deltas: Mapping[Row, int]) -> dict[str, dict[Row, int]]:
        """The changes each period document takes."""
        by_period: dict[str, dict[Row, int]] = {}
        for row, n in deltas.items():
            if n:
                by_period.setdefault(row[1][: self._period], {})[row] = n
        return by_period

    async def apply_claim(
        self, stream: str, start: int, end: int, deltas: Mapping[str, int] | Mapping[Row, int]
    ) -> int:
        """Add the claim's net `deltas` (counter key id, or row -> change) to the stream's period documents
        that do not have it yet; the number of documents written."""
        rows: dict[Row, int] = {(row_of(k) if isinstance(k, str) else k): n for k, n in deltas.items()}
        known = self._known.get(stream)
        if known is None or known.through != start - 1:
            known = self._known[stream] = Known(start - 1)  # nothing trusted: read what is touched
        by_period = self._placed(rows)
        if not by_period:
            known.through = end
            return 0
        try:
            written = await self._write(stream, start, end, by_period, known)
        except BaseException:
            self._known.pop(stream, None)
            raise
        known.evict_to(self.cache_rows)
        return written

    async def _write(
        self, stream: str, start: int, end: int, by_period: dict[str, dict[Row, int]], known: Known
    ) -> int:
        ids = {period: month_doc_id(stream, period) for period in by_period}
        unread = [i for i in ids.values() if i not in known.docs and known.may_exist(i)]
        _, *found = await asyncio.gather(
            self.streams.register(stream), *(self._counters.find_one({"_id": i}) for i in unread)
        )
        ahead = False
        for doc in found:
            if doc is None:
                continue
            pos = int(doc.get("pos", -1))
            if pos < start:
                known.keep(doc["_id"], decode_rows(doc.get("rows")))
            else:  # this claim reached the document before a crash (or a later one did: trust nothing after)
                ahead = ahead or pos > end
                ids = {p: i for p, i in ids.items() if i != doc["_id"]}
        inserts: list[tuple[str, dict[Row, int], dict[str, Any]]] = []
        updates: list[tuple[str, dict[Row, int], UpdateOne]] = []
        for period, doc_id in ids.items():
            old = known.docs.get(doc_id)
            counts = dict(old) if old is not None else {}
            for row, n in by_period[period].items():
                total = counts.get(row, 0) + n
                if total:
                    counts[row] = total
                else:
                    counts.pop(row, None)
            blob = encode_rows(counts)
            if old is None:  # inserts go in one batch: far faster than upserts on FerretDB
                doc = {"_id": doc_id, "stream": stream, "period": period, "pos": end, "rows": blob}
                inserts.append((doc_id, counts, doc))
            else:
                change = {"$set": {"pos": end, "rows": blob}}
                updates.append((doc_id, counts, UpdateOne({"_id": doc_id, "pos": {"$lt": start}}, change)))
        taken, matched = await asyncio.gather(
            insert_new(self._counters, [d for _, _, d in inserts]),
            update_all(self._counters, [u for _, _, u in updates]),
        )
        if taken or matched != len(updates):
            # Another writer applied this claim too (a takeover racing a slow writer), or a later one:
            # an update that matched nothing found `pos` past the claim's start, and what is there
            # stands, as on the read path; a document taken for new that exists is read and applied.
            self._known.pop(stream, None)
            again = {inserts[i][2]["period"]: by_period[inserts[i][2]["period"]] for i in taken}
            redone = await self._write(stream, start, end, again, Known(start - 1)) if again else 0
            return len(inserts) - len(taken) + matched + redone
        for doc_id, counts, _ in [*inserts, *updates]:
            known.keep(doc_id, counts)
            if known.existing is not None:
                known.existing.add(doc_id)
        if ahead:
            self._known.pop(stream, None)
        else:
            known.through = end
        return len(inserts) + len(updates)

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

    def _placed(self, deltas: Mapping[Row, int]) -> dict[str, dict[Row, int]]:
        by_month: dict[str, dict[str, dict[Row, int]]] = {}  # month -> day -> row (dated by month) -> change
        for (kind, day, agency, procedure, dim), n in deltas.items():
            if n:
                on_day = by_month.setdefault(day[:7], {}).setdefault(day, {})
                row = (kind, day[:7], agency, procedure, dim)
                on_day[row] = on_day.get(row, 0) + n
        by_day: dict[str, dict[Row, int]] = {}
        for days in by_month.values():  # running sums from the first day changed to the month's end
            running: dict[Row, int] = {}
            current = date.fromisoformat(min(days))
            month = current.month
            while current.month == month:
                for row, n in days.get(current.isoformat(), {}).items():
                    running[row] = running.get(row, 0) + n
                by_day[current.isoformat()] = dict(running)
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
