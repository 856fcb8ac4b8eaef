"""Intake's dossier view (status, appointment, who may act on it) and the daily code counters."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua_shared import events as ev
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain import tracking

_MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class DossierView:
    dossier_id: str
    code: str
    status: str | None
    due_at: datetime | None
    phone_hash: str | None
    agency_code: str | None
    rating: str | None
    paused_at: datetime | None
    payment_requested_amount: str | None


class DossierStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._dossiers = db["dossiers"]
        self._counters = db["dossier_code_counters"]

    async def ensure_indexes(self) -> None:
        await self._dossiers.create_index("code", unique=True, sparse=True)

    async def next_sequence(self, counter: str) -> int:
        """The next number of a daily counter, atomically, across every intake instance."""
        for _ in range(_MAX_ATTEMPTS):
            try:
                doc = await self._counters.find_one_and_update(
                    {"_id": counter}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue  # two first-of-the-day upserts raced; the loser's retry finds the document
            return int(doc["seq"])
        raise RuntimeError(f"could not advance counter {counter}")

    async def apply(self, event: ev.DossierEvent, *, phone_hash: str | None = None) -> None:
        """Fold one dossier event into the view, once per event_id (optimistic concurrency on a version)."""
        event_id = str(event.event_id)
        for _ in range(_MAX_ATTEMPTS):
            doc = await self._dossiers.find_one({"_id": event.dossier_id})
            if doc is not None and event_id in doc.get("applied", []):
                return
            fields: dict[str, Any] = dict(tracking.changes_from(event))
            status = tracking.next_status(doc.get("status") if doc else None, event)
            if status is not None:
                fields["status"] = status
            if isinstance(event, ev.DossierSubmitted):
                fields.update(code=event.data.dossier_code, agency_code=event.data.agency_code,
                              procedure_code=event.data.procedure_code, channel=event.data.channel.value,
                              received_at=event.occurred_at)
                if phone_hash:
                    fields["phone_hash"] = phone_hash
            version = doc.get("version", 0) if doc else 0
            update = {"$set": {**fields, "version": version + 1}, "$push": {"applied": event_id}}
            try:
                if doc is None:
                    await self._dossiers.insert_one({"_id": event.dossier_id, **fields, "version": 1,
                                                     "applied": [event_id]})
                    return
                result = await self._dossiers.update_one({"_id": event.dossier_id, "version": version}, update)
                if result.modified_count == 1:
                    return
            except DuplicateKeyError:
                pass  # someone else wrote first: read again
        raise RuntimeError(f"could not fold {event.event_type} into dossier {event.dossier_id}")

    async def by_code(self, code: str) -> DossierView | None:
        doc = await self._dossiers.find_one({"code": code})
        return _view(doc) if doc else None

    async def claim_rating(self, dossier_id: str) -> bool:
        """Mark the dossier as being rated, once; False if it was already rated (or being rated)."""
        result = await self._dossiers.update_one(
            {"_id": dossier_id, "status": "returned", "rating_claimed": {"$ne": True}},
            {"$set": {"rating_claimed": True}},
        )
        return result.modified_count == 1

    async def release_rating(self, dossier_id: str) -> None:
        await self._dossiers.update_one({"_id": dossier_id}, {"$set": {"rating_claimed": False}})


def _view(doc: dict[str, Any]) -> DossierView:
    return DossierView(
        dossier_id=doc["_id"], code=doc["code"], status=doc.get("status"), due_at=doc.get("due_at"),
        phone_hash=doc.get("phone_hash"), agency_code=doc.get("agency_code"), rating=doc.get("rating"),
        paused_at=doc.get("paused_at"), payment_requested_amount=doc.get("payment_requested_amount"),
    )
