"""Pre-aggregated counters that stay exact under redelivery, replays and crashes.

A counter document is a *versioned set* of dossiers with its size kept alongside:

    {_id: key, kind, date, agency, procedure, dim, n: 2,
     m: {"d3f1…": {"v": 4, "p": 1}, "d9a2…": {"v": 2, "p": 1}, "d77c…": {"v": 3, "p": 0}}}

`m` maps a hash of each dossier id to the dossier version that last touched the counter and whether
the dossier is in (`p: 1`) or out (`p: 0`, a tombstone). Joining or leaving is ONE conditional
single-document update that changes `m` and `n` together, so it is atomic on any MongoDB-protocol
store (FerretDB has no transactions), and it is:
- idempotent: joining when already in (or leaving when already out) matches nothing;
- order-safe: an operation of an older dossier version than the one recorded matches nothing, so a
  stale retry can never undo a newer change.
Reports read only `n` (projection without `m`); a counter's size is bounded by the dossiers of one
day, agency, procedure and dimension, not by the history.
"""

import hashlib
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey


def member(dossier_id: str) -> str:
    """A field name for the dossier (ids may hold '.' or '$'; a hash never does)."""
    return "d" + hashlib.sha1(dossier_id.encode()).hexdigest()[:24]


class CounterStore:
    def __init__(self, counters: AsyncCollection[Any]) -> None:
        self._counters = counters

    async def _ensure(self, key_id: str) -> None:
        key = CounterKey.from_id(key_id)
        await self._counters.update_one(
            {"_id": key_id},
            {"$setOnInsert": {"kind": key.kind, "date": key.date, "agency": key.agency,
                              "procedure": key.procedure, "dim": key.dim, "n": 0}},
            upsert=True,
        )

    async def join(self, key_id: str, dossier_id: str, version: int) -> None:
        """The dossier (at `version`) is counted in this counter."""
        m = f"m.{member(dossier_id)}"
        for _ in range(2):
            joined = await self._counters.update_one(
                {"_id": key_id, "$or": [{m: {"$exists": False}}, {f"{m}.p": 0, f"{m}.v": {"$lt": version}}]},
                {"$set": {m: {"v": version, "p": 1}}, "$inc": {"n": 1}},
            )
            if joined.matched_count:
                return
            # Already in at an older version: record the newer one so an older 'leave' cannot win.
            bumped = await self._counters.update_one(
                {"_id": key_id, f"{m}.p": 1, f"{m}.v": {"$lt": version}}, {"$set": {f"{m}.v": version}}
            )
            if bumped.matched_count or await self._counters.count_documents({"_id": key_id}, limit=1):
                return  # in at this version or a newer one, or out at a newer one: nothing to do
            await self._ensure(key_id)

    async def leave(self, key_id: str, dossier_id: str, version: int) -> None:
        """The dossier (at `version`) is no longer counted in this counter."""
        m = f"m.{member(dossier_id)}"
        left = await self._counters.update_one(
            {"_id": key_id, f"{m}.p": 1, f"{m}.v": {"$lt": version}},
            {"$set": {m: {"v": version, "p": 0}}, "$inc": {"n": -1}},
        )
        if left.matched_count:
            return
        # Not in (yet): leave a tombstone so that an older 'join' arriving late cannot count it.
        await self._ensure(key_id)
        await self._counters.update_one(
            {"_id": key_id, "$or": [{m: {"$exists": False}}, {f"{m}.p": 0, f"{m}.v": {"$lt": version}}]},
            {"$set": {m: {"v": version, "p": 0}}},
        )

    async def apply(self, dossier_id: str, pending: dict[str, Any]) -> None:
        """Apply a dossier's pending change (safe to repeat, in any order with other versions)."""
        version = int(pending["v"])
        for key_id in pending.get("remove", []):
            await self.leave(key_id, dossier_id, version)
        for key_id in pending.get("add", []):
            await self.join(key_id, dossier_id, version)

    async def rows(self, kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` with dates in [start, end] (ISO dates), without their member sets."""
        cursor = self._counters.find(
            {"kind": {"$in": kinds}, "date": {"$gte": start, "$lte": end}, "n": {"$gt": 0}},
            {"kind": 1, "date": 1, "agency": 1, "procedure": 1, "dim": 1, "n": 1},
        )
        return [
            (CounterKey(d["kind"], d["date"], d["agency"], d["procedure"], d["dim"]), int(d["n"]))
            async for d in cursor
        ]
