"""Where the point-in-time figures come from: the dossiers open at some moment of a month.

Carried over at `from` and in progress at `to` need the dossiers open at that instant, with their
handling agency, pauses and due time then. A query on the dossier documents would read every dossier
(FerretDB filters in Go, after reading the whole collection), so each stream keeps *buckets*:

    {_id: "p0|2025-03", d: {"d3f1…": {"r": received_at, "c": closed_at, "p": procedure, "a": agency,
                                       "t": [{at, to}, …], "z": [{s, e}, …], "u": [{at, due}, …],
                                       "o": original due}, …}}

A closed dossier is in the bucket of every month from its received date to its closed date; a dossier
still open is in the stream's `open` bucket. A report reads the bucket of the month of `from`, that of
`to`, and `open`, of each stream: a few documents whose size is the work of a month, not the history.
Only the stream's writer (the holder of its claims) writes its buckets; `$set` and `$unset` of a
dossier's entry are idempotent, so a claim applied again after a crash does no harm.
"""

import asyncio
import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ..domain.dossier import OPEN, DossierView, Pause
from .counter_store import StreamRegistry

OPEN_BUCKET = "open"


def member(dossier_id: str) -> str:
    """A field name for the dossier (ids may hold '.' or '$'; a hash never does)."""
    return "d" + hashlib.sha1(dossier_id.encode()).hexdigest()[:24]


def buckets_of(view: DossierView) -> list[str]:
    """The buckets the dossier belongs in (none while it has no received date)."""
    if view.received_date is None:
        return []
    if view.closed_date == OPEN:
        return [OPEN_BUCKET]
    first, last = view.received_date, date.fromisoformat(view.closed_date)
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def entry_of(view: DossierView) -> dict[str, Any]:
    """What the point-in-time figures need of the dossier, compactly."""
    return {
        "r": view.received_at, "c": view.closed_at, "p": view.procedure, "a": view.agency,
        # Lists of small objects: FerretDB stores no nested arrays.
        "t": [{"at": f["at"], "to": f["to_agency"]} for f in view.facts if f["type"] == "transferred"],
        "z": [{"s": p.start, "e": p.end} for p in view.pauses],
        "u": [{"at": at, "due": due} for at, due in view.due_changes],
        "o": view.original_due_at,
    }


def view_of(entry: dict[str, Any]) -> DossierView:
    """A view that answers agency_at, paused_at and due_as_of like the dossier's own."""
    transfers = [{"type": "transferred", "at": t["at"], "to_agency": t["to"]} for t in entry["t"]]
    return DossierView(
        facts=transfers, procedure=entry["p"], agency=entry["a"], received_at=entry["r"], closed_at=entry["c"],
        pauses=[Pause("", z["s"], z["e"]) for z in entry["z"]],
        due_changes=[(u["at"], u["due"]) for u in entry["u"]], original_due_at=entry["o"],
    )


class OpenIndex:
    def __init__(self, buckets: AsyncCollection[Any], streams: AsyncCollection[Any]) -> None:
        self._buckets = buckets
        self.streams = StreamRegistry(streams)

    async def apply(self, stream: str, changes: Iterable[tuple[str, list[str], list[str], dict[str, Any]]]) -> None:
        """Apply (dossier id, buckets to leave, buckets to be in, entry) for dossiers of `stream`."""
        sets: dict[str, dict[str, Any]] = {}
        unsets: dict[str, dict[str, str]] = {}
        for dossier_id, leave, join, entry in changes:
            field = member(dossier_id)
            for bucket in leave:
                unsets.setdefault(f"{stream}|{bucket}", {})[f"d.{field}"] = ""
            for bucket in join:
                sets.setdefault(f"{stream}|{bucket}", {})[field] = entry
        ids = sorted(set(sets) | set(unsets))
        if not ids:
            return
        await self.streams.register(stream)
        existing = {doc["_id"] async for doc in self._buckets.find({"_id": {"$in": ids}}, {"_id": 1})}
        writes: list[InsertOne[Any] | UpdateOne] = []
        for bucket_id in ids:
            if bucket_id not in existing:
                writes.append(InsertOne({"_id": bucket_id, "d": sets.get(bucket_id, {})}))
                continue
            update: dict[str, Any] = {}
            if bucket_id in sets:
                update["$set"] = {f"d.{field}": entry for field, entry in sets[bucket_id].items()}
            if bucket_id in unsets:
                update["$unset"] = unsets[bucket_id]
            writes.append(UpdateOne({"_id": bucket_id}, update))
        await self._buckets.bulk_write(writes, ordered=False)

    async def views(self, day: date) -> list[DossierView]:
        """The dossiers that may be open at some moment of `day` (callers check the dates)."""
        month = f"{day.year:04d}-{day.month:02d}"
        streams = await self.streams.all()
        # One read by _id per bucket (the only lookup FerretDB does without reading the collection).
        docs = await asyncio.gather(*(self._buckets.find_one({"_id": f"{stream}|{bucket}"})
                                      for stream in streams for bucket in (month, OPEN_BUCKET)))
        seen: dict[str, DossierView] = {}
        for doc in docs:
            for field, entry in (doc or {}).get("d", {}).items():
                seen.setdefault(field, view_of(entry))
        return list(seen.values())
