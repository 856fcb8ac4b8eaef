"""Intake's dossier view (status, appointment, who may act on it); its dossier codes come in blocks
(adapters/code_blocks.py)."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from motcua_shared import events as ev
from motcua_shared.consuming import TRANSIENT_ERRORS
from motcua_shared.lifecycle import PauseCalendar
from motcua_shared.mongo import insert_once
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..domain import tracking
from ..domain.view import DossierView
from .code_blocks import CodeBlocks

__all__ = ["DossierStore", "DossierView", "Poisoned"]

Poisoned = tuple[ev.DossierEvent, Exception]

_MAX_ATTEMPTS = 20
# Reads by _id in flight at once when a batch is folded: on FerretDB a find by `{_id: {$in: …}}` scans
# the collection (about 0.8 s for 100 ids among 5,000 here), where reads by _id use the index.
_READS_IN_FLIGHT = 8


class DossierStore:
    def __init__(self, db: AsyncDatabase[Any], calendar: PauseCalendar | None = None) -> None:
        # Moves the appointment when a pause ends without a new one (payment_completed); by default
        # the shared working calendar, the one processing and reporting move it with.
        self._calendar = calendar or _SharedCalendar()
        self._dossiers = db["dossiers"]
        self._rating_claims = db["dossier_rating_claims"]
        self._codes = CodeBlocks(db)

    async def ensure_indexes(self) -> None:
        await self._dossiers.create_index("code", unique=True, sparse=True)
        await self._codes.ensure_indexes()

    async def reserve_code(self, counter: str, dossier_id: str) -> str:
        """The next dossier code of a daily counter, unique across every intake instance (from this
        instance's block: adapters/code_blocks.py)."""
        return await self._codes.take(counter)

    def give_back_code(self, code: str) -> None:
        """A code reserved for a request that turned out to be a retry of an earlier one."""
        self._codes.give_back(code)

    async def known(self, dossier_id: str) -> bool:
        return await self._dossiers.find_one({"_id": dossier_id}, projection={"_id": 1}) is not None

    async def fold_batch(self, events: Sequence[tuple[ev.DossierEvent, str | None]]) -> list[Poisoned]:
        """Fold a batch of (event, phone hash) in their order, each once by event_id, each changed
        dossier written once (new ones inserted together, the others in one bulk of version-checked
        updates). A dossier whose events here begin with its submission is inserted without being read
        first (an import's dossiers, and those intake's API has just received: it leaves their view to
        this fold); the others, and any such insert that finds the dossier there already, are read by
        _id and updated. A dossier whose write lost a race with another writer, or whose events could
        not be folded together, is folded event by event with `apply`, which skips what is already
        applied. Returns the events that cannot be folded, with why."""
        by_dossier: dict[str, list[tuple[ev.DossierEvent, str | None]]] = {}
        for event, hashed in events:
            by_dossier.setdefault(event.dossier_id, []).append((event, hashed))
        if not by_dossier:
            return []
        new = [d for d, its in by_dossier.items() if isinstance(its[0][0], ev.DossierSubmitted)]
        known = [d for d in by_dossier if not isinstance(by_dossier[d][0][0], ev.DossierSubmitted)]
        there_already, failed = await self._fold_round(by_dossier, new, {})
        ids = known + there_already
        lost, failed_again = await self._fold_round(by_dossier, ids, await self._read(ids))
        poisoned: list[Poisoned] = []
        for dossier_id in failed + failed_again + lost:
            for event, hashed in by_dossier[dossier_id]:
                try:
                    await self.apply(event, phone_hash=hashed)
                except TRANSIENT_ERRORS:
                    raise  # the store is away: the whole batch comes again
                except Exception as error:
                    poisoned.append((event, error))
        return poisoned

    async def _fold_round(
        self,
        by_dossier: dict[str, list[tuple[ev.DossierEvent, str | None]]],
        dossier_ids: list[str],
        docs: dict[str, dict[str, Any]],
    ) -> tuple[list[str], list[str]]:
        """Fold the events of `dossier_ids` onto their views `docs` (absent: not in the view) in one bulk
        write; the dossiers whose write did not take, and those whose events could not be folded."""
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[str, UpdateOne] = {}
        failed: list[str] = []
        for dossier_id in dossier_ids:
            doc = docs.get(dossier_id)
            try:
                changed, new_ids = self._changes(doc, by_dossier[dossier_id])
            except Exception:  # a bad event among them: find which one by folding them one by one
                failed.append(dossier_id)
                continue
            if not new_ids:
                continue
            if doc is None:
                inserts[dossier_id] = {"_id": dossier_id, **changed, "version": 1, "applied": new_ids}
            else:
                version = doc.get("version", 0)
                updates[dossier_id] = UpdateOne(
                    {"_id": dossier_id, "version": version},
                    {"$set": {**changed, "version": version + 1}, "$push": {"applied": {"$each": new_ids}}},
                )
        return await self._write(inserts, updates), failed

    def _changes(
        self, doc: dict[str, Any] | None, events: Sequence[tuple[ev.DossierEvent, str | None]]
    ) -> tuple[dict[str, Any], list[str]]:
        """What `events` change in the view `doc` (None: not in the view yet), and their ids not applied yet."""
        state: dict[str, Any] = dict(doc or {})
        applied = set(state.get("applied", []))
        changed: dict[str, Any] = {}
        new_ids: list[str] = []
        for event, hashed in events:
            event_id = str(event.event_id)
            if event_id in applied:
                continue
            fields = _fields(event, state, hashed, self._calendar)
            state.update(fields)
            changed.update(fields)
            applied.add(event_id)
            new_ids.append(event_id)
        return changed, new_ids

    async def _read(self, dossier_ids: list[str]) -> dict[str, dict[str, Any]]:
        reads = asyncio.Semaphore(_READS_IN_FLIGHT)

        async def read(dossier_id: str) -> dict[str, Any] | None:
            async with reads:
                found: dict[str, Any] | None = await self._dossiers.find_one({"_id": dossier_id})
                return found

        docs = await asyncio.gather(*(read(d) for d in dossier_ids))
        return {doc["_id"]: doc for doc in docs if doc is not None}

    async def _write(self, inserts: dict[str, dict[str, Any]], updates: dict[str, UpdateOne]) -> list[str]:
        """Write the batch's changes; the dossiers whose write did not take (someone wrote first)."""
        lost: list[str] = []
        writes = [InsertOne(doc) for doc in inserts.values()] + list(updates.values())
        if not writes:
            return lost
        ids = [*inserts, *updates]
        try:
            result = await self._dossiers.bulk_write(writes, ordered=False)
        except BulkWriteError as error:
            failed = {e["index"] for e in error.details.get("writeErrors", [])}
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
            lost += [ids[i] for i in sorted(failed)]
            modified = error.details.get("nModified", 0)
        else:
            modified = result.modified_count
        # Updates name no document when another writer moved the version: which ones is not said.
        if updates and modified < len(updates):
            lost += [d for d in updates if d not in lost]
        return lost

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
