"""Intake's dossier view (status, appointment, who may act on it) and the daily code counters."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from motcua_shared import events as ev
from motcua_shared.lifecycle import PauseCalendar
from motcua_shared.mongo import insert_once
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain import tracking
from ..domain.codes import dossier_code_for
from ..domain.view import DossierView

__all__ = ["DossierStore", "DossierView"]

_MAX_ATTEMPTS = 20
_MAX_CODE_ATTEMPTS = 1000
_RESERVING_STRIPES = 16


class DossierStore:
    def __init__(self, db: AsyncDatabase[Any], calendar: PauseCalendar | None = None) -> None:
        # Moves the appointment when a pause ends without a new one (payment_completed); by default
        # the shared working calendar, the one processing and reporting move it with.
        self._calendar = calendar or _SharedCalendar()
        self._dossiers = db["dossiers"]
        self._counters = db["dossier_code_counters"]
        self._codes = db["dossier_codes"]
        self._rating_claims = db["dossier_rating_claims"]
        # Striped locks: counters are per agency and day, so a lock each would pile up over the years.
        self._reserving = [asyncio.Lock() for _ in range(_RESERVING_STRIPES)]

    async def ensure_indexes(self) -> None:
        await self._dossiers.create_index("code", unique=True, sparse=True)

    async def reserve_code(self, counter: str, dossier_id: str) -> str:
        """The next free dossier code of a daily counter, unique across every intake instance.

        The counter ($inc) proposes a number; inserting the code under a unique _id decides. Two
        steps because FerretDB applies find_one_and_update as read-then-write: under concurrency two
        callers can be handed the same number (seen with 200 concurrent submissions), whereas an
        insert under a unique _id is decided by the backend atomically. The loser asks again.

        Within this process one reservation per counter runs at a time: when they ran concurrently,
        every loser's retry collided again, so the round trips grew with the square of the requests
        in flight and intake collapsed under load (docs/performance.md). Other instances still
        collide now and then; the unique insert decides between them."""
        async with self._reserving[hash(counter) % len(self._reserving)]:
            for _ in range(_MAX_CODE_ATTEMPTS):
                sequence = await self._next_sequence(counter)
                code = dossier_code_for(counter, sequence)
                if await insert_once(self._codes, {"_id": code, "dossier_id": dossier_id}):
                    return code
        raise RuntimeError(f"could not reserve a dossier code on counter {counter}")

    async def _next_sequence(self, counter: str) -> int:
        for _ in range(_MAX_ATTEMPTS):
            try:
                doc = await self._counters.find_one_and_update(
                    {"_id": counter}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue  # two first-of-the-day upserts raced; the loser's retry finds the document
            if doc is not None:  # an upsert returning the document after it always finds one
                return int(doc["seq"])
        raise RuntimeError(f"could not advance counter {counter}")

    async def record_new(self, events: Sequence[ev.DossierEvent], *, phone_hash: str | None = None) -> bool:
        """Fold the first events of a dossier just received (submitted, and accepted at the counter) in
        ONE insert, where `apply` reads and writes once per event: on the submission path that was the
        largest share of the store's work (docs/performance.md). False, with nothing written, if the
        dossier is already in the view (the consumer came first): then `apply` each event."""
        fields: dict[str, Any] = {}
        for event in events:
            fields.update(_fields(event, fields, phone_hash, self._calendar))
        return await insert_once(
            self._dossiers,
            {"_id": events[0].dossier_id, **fields, "version": 1, "applied": [str(event.event_id) for event in events]},
        )

    async def apply(self, event: ev.DossierEvent, *, phone_hash: str | None = None) -> None:
        """Fold one dossier event into the view, once per event_id (optimistic concurrency on a version)."""
        event_id = str(event.event_id)
        for _ in range(_MAX_ATTEMPTS):
            doc = await self._dossiers.find_one({"_id": event.dossier_id})
            if doc is not None and event_id in doc.get("applied", []):
                return
            fields = _fields(event, doc or {}, phone_hash, self._calendar)
            version = doc.get("version", 0) if doc else 0
            update = {"$set": {**fields, "version": version + 1}, "$push": {"applied": event_id}}
            try:
                if doc is None:
                    await self._dossiers.insert_one(
                        {"_id": event.dossier_id, **fields, "version": 1, "applied": [event_id]}
                    )
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
        """Claim the dossier's one rating; False if it was already claimed. An insert under a unique _id,
        because a conditional update is not atomic on FerretDB."""
        return await insert_once(self._rating_claims, {"_id": dossier_id})


class _SharedCalendar:
    """motcua_shared.calendar, loaded when first asked (as intake's calendar port does)."""

    def __init__(self) -> None:
        self._calendar: PauseCalendar | None = None

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        if self._calendar is None:
            from motcua_shared.calendar import load_calendar

            self._calendar = load_calendar()
        return self._calendar.moved_due_at(due_at, paused_at, resumed_at)


def _fields(
    event: ev.DossierEvent, before: dict[str, Any], phone_hash: str | None, calendar: PauseCalendar
) -> dict[str, Any]:
    """What `event` sets in the view of a dossier that was `before` (its stored fields)."""
    progress = tracking.progress_after(
        before.get("status"), before.get("due_at"), before.get("paused_at"), event, calendar
    )
    fields: dict[str, Any] = {
        **tracking.changes_from(event),
        "last_event_at": event.occurred_at,
        "due_at": progress.due_at,
        "paused_at": progress.paused_since,
    }
    if progress.status is not None:
        fields["status"] = progress.status.value
    if isinstance(event, ev.DossierSubmitted):
        fields.update(
            code=event.data.dossier_code,
            agency_code=event.data.agency_code,
            procedure_code=event.data.procedure_code,
            channel=event.data.channel.value,
            received_at=event.occurred_at,
        )
        if phone_hash:
            fields["phone_hash"] = phone_hash
    return fields


def _view(doc: dict[str, Any]) -> DossierView:
    return DossierView(
        dossier_id=doc["_id"],
        code=doc["code"],
        status=doc.get("status"),
        due_at=doc.get("due_at"),
        phone_hash=doc.get("phone_hash"),
        agency_code=doc.get("agency_code"),
        rating=doc.get("rating"),
        paused_at=doc.get("paused_at"),
        payment_requested_amount=doc.get("payment_requested_amount"),
        last_event_at=doc.get("last_event_at"),
        supplement_respond_by=doc.get("supplement_respond_by"),
    )
