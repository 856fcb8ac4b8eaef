"""Pre-aggregated counters, sharded by writer stream so that no two writers ever update one document.

A counter (kind, date, agency, procedure, dim) is kept as one document per *stream* -- a partition of
dossier.events, whose dossiers only ever change there:

    {_id: '["received", "2020-01-06", "STNMT", "1.001", "direct"]|p0', kind, date, agency, procedure,
     dim, n: 12, pos: 4711}

`pos` is the end of the last claim (see claims.py) whose changes are in `n`. Claims of a stream are
applied one after the other by the one writer that holds the stream's chain, so the document is
never written by two writers at once, and a claim applied again after a crash changes only the
shards it had not reached (`pos` below the claim's start). Reports add the shards of a key up;
their number is bounded by the partitions, not by the dossiers.

(Why not one document per key: FerretDB's conditional updates and $inc are not atomic under
concurrency, so two writers incrementing one document can lose an increment.)
"""

from collections.abc import Mapping
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey


def shard_id(key_id: str, stream: str) -> str:
    return f"{key_id}|{stream}"


class CounterStore:
    def __init__(self, counters: AsyncCollection[Any]) -> None:
        self._counters = counters

    async def apply_claim(self, stream: str, start: int, end: int, deltas: Mapping[str, int]) -> int:
        """Add the claim's net `deltas` (counter key id -> change) to the stream's shards that do not
        have it yet; the number of shards written."""
        changed = {key_id: n for key_id, n in deltas.items() if n}
        if not changed:
            return 0
        ids = [shard_id(key_id, stream) for key_id in changed]
        seen = {doc["_id"]: int(doc.get("pos", -1))
                async for doc in self._counters.find({"_id": {"$in": ids}}, {"pos": 1})}
        writes: list[InsertOne[Any] | UpdateOne] = []
        for key_id, n in changed.items():
            doc_id = shard_id(key_id, stream)
            if doc_id not in seen:  # inserts go in one batch: far faster than upserts on FerretDB
                key = CounterKey.from_id(key_id)
                writes.append(InsertOne({"_id": doc_id, "kind": key.kind, "date": key.date, "agency": key.agency,
                                         "procedure": key.procedure, "dim": key.dim, "stream": stream,
                                         "n": n, "pos": end}))
            elif seen[doc_id] < start:
                writes.append(UpdateOne({"_id": doc_id}, {"$inc": {"n": n}, "$set": {"pos": end}}))
            # else: this claim reached the shard before a crash
        if writes:
            await self._counters.bulk_write(writes, ordered=False)
        return len(writes)

    async def rows(self, kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
        """Counter shards of `kinds` with dates in [start, end] (ISO dates); callers add shards up."""
        cursor = self._counters.find(
            {"kind": {"$in": kinds}, "date": {"$gte": start, "$lte": end}, "n": {"$ne": 0}},
            {"kind": 1, "date": 1, "agency": 1, "procedure": 1, "dim": 1, "n": 1},
        )
        return [
            (CounterKey(d["kind"], d["date"], d["agency"], d["procedure"], d["dim"]), int(d["n"]))
            async for d in cursor
        ]

    async def totals(self) -> dict[str, int]:
        """Every counter key's total over the shards (for tests and checks)."""
        found: dict[str, int] = {}
        async for d in self._counters.find({"n": {"$ne": 0}}):
            key = CounterKey(d["kind"], d["date"], d["agency"], d["procedure"], d["dim"]).id
            found[key] = found.get(key, 0) + int(d["n"])
        return {k: n for k, n in found.items() if n}
