"""Pre-aggregated counters, in one document per stream and month, written by one writer at a time.

A counter (kind, date, agency, procedure, dim) lives in the document of its stream -- a partition of
dossier.events, whose dossiers only ever change there -- and its month:

    {_id: "p0|2025-01", stream: "p0", month: "2025-01", pos: 4711,
     c: {"k3f1…": {"k": '["received", "2025-01-06", "STNMT", "1.001", "direct"]', "n": 12}, …}}

`pos` is the end of the last claim (see claims.py) whose changes are in the document. Claims of a
stream are applied one after the other by the one writer that holds the stream's chain, so the
document is never written by two writers at once, and a claim applied again after a crash changes
only the documents it had not reached (`pos` below the claim's start). A report reads the documents
of the period's months, one per stream, by `_id`: their number grows with the months asked for and
the partitions, not with the dossiers or the history. (FerretDB filters any other query after reading
the whole collection, and its conditional updates and $inc are not atomic under concurrency: hence one
writer per document, and reads by `_id`.)
"""

import asyncio
import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ..domain.contributions import CounterKey


def field_of(key_id: str) -> str:
    """A field name for a counter key (keys hold '.', e.g. procedure codes; a hash never does)."""
    return "k" + hashlib.sha1(key_id.encode()).hexdigest()[:24]


def month_doc_id(stream: str, month: str) -> str:
    return f"{stream}|{month}"


def months_between(start: date, end: date) -> list[str]:
    found, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


class StreamRegistry:
    """The streams that have written read models: one document each, inserted once."""

    def __init__(self, streams: AsyncCollection[Any]) -> None:
        self._streams = streams
        self._known: set[str] = set()

    async def register(self, stream: str) -> None:
        if stream in self._known:
            return
        try:
            await self._streams.insert_one({"_id": stream})
        except DuplicateKeyError:
            pass
        self._known.add(stream)

    async def all(self) -> list[str]:
        return sorted([doc["_id"] async for doc in self._streams.find({})])


class CounterStore:
    def __init__(self, counters: AsyncCollection[Any], streams: AsyncCollection[Any]) -> None:
        self._counters = counters
        self.streams = StreamRegistry(streams)

    async def apply_claim(self, stream: str, start: int, end: int, deltas: Mapping[str, int]) -> int:
        """Add the claim's net `deltas` (counter key id -> change) to the stream's month documents that
        do not have it yet; the number of documents written."""
        by_month: dict[str, dict[str, int]] = {}
        for key_id, n in deltas.items():
            if n:
                by_month.setdefault(CounterKey.from_id(key_id).date[:7], {})[key_id] = n
        if not by_month:
            return 0
        await self.streams.register(stream)
        ids = [month_doc_id(stream, month) for month in by_month]
        found = await asyncio.gather(*(self._counters.find_one({"_id": i}, {"pos": 1}) for i in ids))
        seen = {doc["_id"]: int(doc.get("pos", -1)) for doc in found if doc is not None}
        writes: list[InsertOne[Any] | UpdateOne] = []
        for month, changes in by_month.items():
            doc_id = month_doc_id(stream, month)
            if doc_id not in seen:  # inserts go in one batch: far faster than upserts on FerretDB
                writes.append(InsertOne({"_id": doc_id, "stream": stream, "month": month, "pos": end,
                                         "c": {field_of(k): {"k": k, "n": n} for k, n in changes.items()}}))
            elif seen[doc_id] < start:
                writes.append(UpdateOne({"_id": doc_id}, {
                    "$inc": {f"c.{field_of(k)}.n": n for k, n in changes.items()},
                    "$set": {"pos": end, **{f"c.{field_of(k)}.k": k for k in changes}},
                }))
            # else: this claim reached the document before a crash
        if writes:
            await self._counters.bulk_write(writes, ordered=False)
        return len(writes)

    async def rows(self, kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` with dates in [start, end] (ISO dates), one row per stream; callers add
        them up."""
        months = months_between(date.fromisoformat(start), date.fromisoformat(end))
        streams = await self.streams.all()
        docs = await asyncio.gather(*(self._counters.find_one({"_id": month_doc_id(s, m)})
                                      for s in streams for m in months))
        wanted = set(kinds)
        found = []
        for doc in docs:
            for counter in (doc or {}).get("c", {}).values():
                n = int(counter.get("n", 0))
                if not n:
                    continue
                key = CounterKey.from_id(counter["k"])
                if key.kind in wanted and start <= key.date <= end:
                    found.append((key, n))
        return found

    async def totals(self) -> dict[str, int]:
        """Every counter key's total over the streams (for tests and checks)."""
        found: dict[str, int] = {}
        async for doc in self._counters.find({}):
            for counter in doc.get("c", {}).values():
                found[counter["k"]] = found.get(counter["k"], 0) + int(counter.get("n", 0))
        return {k: n for k, n in found.items() if n}
