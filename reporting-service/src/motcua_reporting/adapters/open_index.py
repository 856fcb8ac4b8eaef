"""Where the point-in-time figures come from: the dossiers open at some moment of a month.

Carried over at `from` and in progress at `to` need the dossiers open at that instant, with their
handling agency, pauses and due time then. A query on the dossier documents would read every dossier
(FerretDB filters in Go, after reading the whole collection), so each stream keeps *buckets*:

    reporting_open_2025_03: {_id: "p0", d: {"d3f1…": {"r": received_at, "c": closed_at, "p": procedure, "a": agency,
                                       "t": [{at, to}, …], "z": [{s, e}, …], "u": [{at, due}, …],
                                       "o": original due}, …}}

A closed dossier is in the bucket of every month from its received date to its closed date; a dossier
still open is in the stream's `open` bucket. Each bucket is a collection of its own (one document per
stream), because FerretDB reads a whole collection even to find one `_id`: a report reads the
collections of the month of `from`, of `to`, and `open` -- a few documents whose size is the work of a
month, not the history.
Only the stream's writer (the holder of its claims) writes its buckets; `$set` and `$unset` of a
dossier's entry are idempotent, so a claim applied again after a crash does no harm.
"""

import asyncio
import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from ..domain.dossier import OPEN, DossierView, Pause
from .read_models import ReadModels

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
    def __init__(self, models: ReadModels) -> None:
        self._models = models

    async def apply(self, stream: str, changes: Iterable[tuple[str, list[str], list[str], dict[str, Any]]]) -> None:
        """Apply (dossier id, buckets to leave, buckets to be in, entry) for dossiers of `stream`."""
        sets: dict[str, dict[str, Any]] = {}
        unsets: dict[str, dict[str, str]] = {}
        for dossier_id, leave, join, entry in changes:
            field = member(dossier_id)
            for bucket in leave:
                unsets.setdefault(bucket, {})[f"d.{field}"] = ""
            for bucket in join:
                sets.setdefault(bucket, {})[field] = entry
        await asyncio.gather(*(self._apply_bucket(bucket, stream, sets.get(bucket, {}), unsets.get(bucket, {}))
                               for bucket in sorted(set(sets) | set(unsets))))

    async def _apply_bucket(self, bucket: str, stream: str, sets: dict[str, Any], unsets: dict[str, str]) -> None:
        collection = self._models.open_bucket(bucket)
        if await collection.find_one({"_id": stream}, {"_id": 1}) is None:
            await collection.insert_one({"_id": stream, "d": sets})
            return
        update: dict[str, Any] = {}
        if sets:
            update["$set"] = {f"d.{field}": entry for field, entry in sets.items()}
        if unsets:
            update["$unset"] = unsets
        await collection.update_one({"_id": stream}, update)

    async def views(self, day: date) -> list[DossierView]:
        """The dossiers that may be open at some moment of `day` (callers check the dates)."""
        month = f"{day.year:04d}-{day.month:02d}"
        seen: dict[str, DossierView] = {}
        for bucket in (month, OPEN_BUCKET):
            async for doc in self._models.open_bucket(bucket).find({}):
                for field, entry in doc.get("d", {}).items():
                    seen.setdefault(field, view_of(entry))
        return list(seen.values())
