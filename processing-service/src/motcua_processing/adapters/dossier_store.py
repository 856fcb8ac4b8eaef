"""Processing's dossiers in MongoDB: an append-only log per dossier, and a current view of each.

Why a log: FerretDB applies a conditional update as read-then-write, so two writers that both
check `version == 4` can both succeed (seen here: 60 concurrent writers, 10 updates kept). An insert
under a unique `_id` is decided by the backend atomically. So every change to a dossier is decided
by inserting log entry `{dossier_id}#{seq}`; the writer that loses reads again and folds on top of
the winner. The entry carries the dossier as it is after the change (a snapshot), and the same
snapshot is then written to `dossiers`, the view that queries (inbox, the clock) read.

- Apply-once: a dossier remembers every event id it folded (or kept as an anomaly); two appliers of
  one event (the officer's request and the consumer, or a redelivery) are serialized by the log, and
  the second sees the first's id.
- Crash between the log insert and the view write: the next apply or read finds log entries newer
  than the view, takes the newest snapshot and repairs the view. Every change is an event on
  `dossier.events` (processing reads its own back), so the event whose view write was lost is folded
  again by the consumer after a restart, which repairs the view even if no officer touches it.

The consumer folds a batch at once (`apply_many`): one read of its dossiers' views (by `_id`, in
flight together: `$in` scans on FerretDB), every event of a dossier folded in order in memory, one log
entry per dossier (the snapshot after all of its events, `seen` holding their ids) inserted together,
then the views written together. A lost insert (an officer's action, a view left behind by a crash,
a dossier presumed new that is not) sends just that dossier down the one-event path.
"""

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.lifecycle import DossierStatus
from motcua_shared.mongo import UPDATE_STATEMENTS, bulk_chunk, find_by_ids, find_each, insert_once
from pymongo import ASCENDING, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..domain.deadlines import WorkingCalendar
from ..domain.dossier import Anomaly, Dossier, HistoryEntry, fold
from ..service_layer.ports import Folded

_MAX_ATTEMPTS = 50
# An officer's turn left by a process that died mid-action is free again after this long.
TURN_LEASE = timedelta(seconds=30)
_SEQ_DIGITS = 10
_DUPLICATE_KEY = 11000
_INSERT_CHUNK = 20


def _log_key(dossier_id: str, seq: int) -> str:
    return f"{dossier_id}#{seq:0{_SEQ_DIGITS}d}"


class DossierStore:
    def __init__(self, db: AsyncDatabase[Any], calendar: WorkingCalendar, *, source: str) -> None:
        self._source = source  # events of this service may have an officer recorded behind them
        self._dossiers = db["dossiers"]
        self._log = db["dossier_log"]
        self._actors = db["action_actors"]
        self._turns = db["action_turns"]
        self._calendar = calendar

    async def ensure_indexes(self) -> None:
        await self._dossiers.create_index([("code", ASCENDING)])
        # The inbox: an agency's dossiers in some statuses, read in due-time order by the store.
        await self._dossiers.create_index([("agency_code", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)])
        await self._dossiers.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        # A counter's inbox of what it received for other agencies (issue 18 item 6).
        await self._dossiers.create_index([("receiving_agency_code", ASCENDING), ("status", ASCENDING)])

    async def apply(self, event: ev.DossierEvent, *, who: str | None = None) -> tuple[Dossier, bool]:
        """Fold `event` into its dossier once. Returns the dossier after it, and whether this call
        changed anything (False: the event had been folded already)."""
        event_id = str(event.event_id)
        # Three round trips in the common case: read the view, insert the log entry, write the view.
        # The log is read only after a lost insert (another writer, or a view left behind by a crash).
        dossier, version = await self._view(event.dossier_id)
        who = who or event.actor
        if who is None and event.source == self._source:  # an officer's event from before `actor` existed
            actor = await self._actors.find_one({"_id": event_id})
            who = actor["who"] if actor else None
        for _ in range(_MAX_ATTEMPTS):
            if dossier is not None and dossier.has_seen(event_id):
                return dossier, False
            after = fold(dossier, event, self._calendar, who=who)
            seq = version + 1
            try:
                await self._log.insert_one(
                    {
                        "_id": _log_key(event.dossier_id, seq),
                        "dossier_id": event.dossier_id,
                        "seq": seq,
                        "event_id": event_id,
                        "snapshot": to_document(after),
                    }
                )
            except DuplicateKeyError:
                # Another writer changed this dossier first: fold on top of its change (and repair the view).
                dossier, version, stale = await self._latest(event.dossier_id)
                if stale and dossier is not None:
                    await self._write_view(dossier, version)
                continue
            await self._write_view(after, seq)
            return after, True
        raise RuntimeError(f"could not fold {event.event_type} into dossier {event.dossier_id}")

    async def apply_many(self, events: Sequence[ev.DossierEvent]) -> list[Folded]:
        """Fold `events` (in order per dossier) once each, with a round trip per kind of work rather
        than three per event; what changed, by dossier."""
        by_dossier: dict[str, list[ev.DossierEvent]] = {}
        for event in events:
            by_dossier.setdefault(event.dossier_id, []).append(event)
        # A dossier the batch starts with its submission is presumed new and not read: its log entry
        # #1 decides, and one already there (a replay, a redelivery) sends it down the one-event path.
        unknown = [i for i, its_events in by_dossier.items() if its_events[0].event_type != "dossier.submitted"]
        views, actors = await asyncio.gather(find_by_ids(self._dossiers, unknown), self._actors_of(events))
        entries: list[dict[str, Any]] = []
        changed: dict[str, tuple[Dossier, int, tuple[str, ...]]] = {}
        for dossier_id, its_events in by_dossier.items():
            doc = views.get(dossier_id)
            dossier, version = (from_document(doc), int(doc["version"])) if doc else (None, 0)
            applied: list[str] = []
            for event in its_events:
                event_id = str(event.event_id)
                if dossier is not None and dossier.has_seen(event_id):
                    continue
                dossier = fold(dossier, event, self._calendar, who=event.actor or actors.get(event_id))
                applied.append(event_id)
            if not applied or dossier is None:
                continue
            seq = version + 1
            entries.append(
                {
                    "_id": _log_key(dossier_id, seq),
                    "dossier_id": dossier_id,
                    "seq": seq,
                    "event_ids": applied,
                    "snapshot": to_document(dossier),
                }
            )
            changed[dossier_id] = (dossier, seq, tuple(applied))
        lost = await self._insert_log_entries(entries)
        won = [(entry, changed[entry["dossier_id"]]) for entry in entries if entry["dossier_id"] not in lost]
        await self._write_views([(entry["dossier_id"], seq, entry["snapshot"]) for entry, (_, seq, _) in won])
        folded = [Folded(dossier, applied) for _, (dossier, _, applied) in won]
        # Another writer changed these first: their events one by one, on top of its change.
        in_turn = await asyncio.gather(*(self._apply_in_turn(by_dossier[dossier_id], actors) for dossier_id in lost))
        return folded + [f for f in in_turn if f.applied]

    async def _apply_in_turn(self, events: list[ev.DossierEvent], actors: dict[str, str]) -> Folded:
        applied: list[str] = []
        dossier: Dossier | None = None
        for event in events:
            dossier, changed = await self.apply(event, who=event.actor or actors.get(str(event.event_id)))
            if changed:
                applied.append(str(event.event_id))
        assert dossier is not None
        return Folded(dossier, tuple(applied))

    async def _actors_of(self, events: Sequence[ev.DossierEvent]) -> dict[str, str]:
        """The officers recorded behind this service's events from before `actor` existed, by event id."""
        ids = [str(e.event_id) for e in events if e.actor is None and e.source == self._source]
        return {i: doc["who"] for i, doc in (await find_by_ids(self._actors, ids)).items()} if ids else {}

    async def _insert_log_entries(self, entries: list[dict[str, Any]]) -> set[str]:
        """Insert the entries together; the dossiers whose entry another writer's took the place of."""
        if not entries:
            return set()
        lost = await _insert_in_flight(self._log, entries)
        return {entries[index]["dossier_id"] for index in lost}

    async def _write_views(self, views: list[tuple[str, int, dict[str, Any]]]) -> None:
        """Write the views (id, version, snapshot), each skipped where the view is already as new, as
        `_write_view` does one: a dossier's first view inserted (an insert costs a fraction of an
        update on FerretDB; one already there is at least as new), the others replaced in bounded
        commands."""
        first = [{**snapshot, "_id": i, "version": version} for i, version, snapshot in views if version == 1]
        later = [view for view in views if view[1] != 1]
        size = bulk_chunk()

        async def replace(chunk: list[tuple[str, int, dict[str, Any]]]) -> None:
            writes = [
                ReplaceOne({"_id": i, "version": {"$lt": version}}, {**snapshot, "version": version}, upsert=True)
                for i, version, snapshot in chunk
            ]
            async with UPDATE_STATEMENTS.take(len(writes)):
                try:
                    await _ignoring_duplicates(self._dossiers.bulk_write(writes, ordered=False))
                except KeyError:
                    # FerretDB 1.24 answers a bulk of upserts in which one hit a duplicate key (a view
                    # already as new) without `nModified`, and PyMongo fails reading the answer: the
                    # writes are idempotent, so each goes again alone and is skipped as `_write_view` does.
                    for i, version, snapshot in chunk:
                        await self._replace_older(i, version, {**snapshot, "version": version})

        await asyncio.gather(
            _insert_in_flight(self._dossiers, first),
            *(replace(later[i : i + size]) for i in range(0, len(later), size)),
        )

    async def get(self, dossier_id: str) -> Dossier | None:
        """The dossier as of its newest change."""
        dossier, _, _ = await self._latest(dossier_id)
        return dossier

    async def get_many(self, dossier_ids: Sequence[str]) -> dict[str, Dossier]:
        """`get` for several dossiers, by id: their views and, for each, its next log entry looked up
        by `_id` (both served by the index, in flight together; `get`'s range read of the log with a
        sort took most of a clock sweep on FerretDB). Only a view that trails the log is read as `get` does."""
        views = await find_by_ids(self._dossiers, dossier_ids)
        versions = {i: int(views[i]["version"]) if i in views else 0 for i in dict.fromkeys(dossier_ids)}
        ahead = await find_by_ids(self._log, [_log_key(i, v + 1) for i, v in versions.items()])
        found = {i: from_document(doc) for i, doc in views.items() if _log_key(i, versions[i] + 1) not in ahead}
        trailing = [i for i, v in versions.items() if _log_key(i, v + 1) in ahead]
        for dossier_id, dossier in zip(trailing, await asyncio.gather(*map(self.get, trailing)), strict=True):
            if dossier is not None:
                found[dossier_id] = dossier
        return found

    async def latest(self, dossier_id: str) -> tuple[Dossier | None, int]:
        """The dossier as of its newest change, and that change's number (its version)."""
        dossier, version, _ = await self._latest(dossier_id)
        return dossier, version

    async def take_turn(self, dossier_id: str, version: int) -> str | None:
        """Officers' actions on one dossier go one at a time: the right to act on `version` is an
        insert under `{dossier_id}@{version}`, so of two officers who read the same state only one
        publishes. Returns the turn's key, or None when someone else holds it. Turns are kept after
        the action (a stale reader of `version` must still lose); only a failed action gives its back."""
        key = f"{dossier_id}@{version}"
        now = datetime.now(UTC)
        await self._turns.delete_one({"_id": key, "at": {"$lt": now - TURN_LEASE}})
        return key if await insert_once(self._turns, {"_id": key, "at": now}) else None

    async def give_back_turn(self, key: str) -> None:
        await self._turns.delete_one({"_id": key})

    async def by_code(self, code: str) -> Dossier | None:
        doc = await self._dossiers.find_one({"code": code})
        return await self.get(doc["_id"]) if doc else None

    async def find(
        self, query: dict[str, Any], *, sort: list[tuple[str, int]] | None = None, limit: int = 1000
    ) -> list[Dossier]:
        """Dossiers of the view matching `query`, in `sort` order when given (the view may trail the
        log by a change; callers that act on one dossier read it again with `get`)."""
        docs = await self._dossiers.find(query, sort=sort, limit=limit).to_list()
        return [from_document(doc) for doc in docs]

    async def find_each(
        self,
        each: Mapping[str, Sequence[Any]],
        query: dict[str, Any],
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 1000,
    ) -> list[Dossier]:
        """`find` with `{field: {"$in": values}}` for each field of `each`, asked as one equality query
        per combination of values and merged in `sort` order (`$in` scans on FerretDB: find_each)."""
        docs = await find_each(self._dossiers, each, query, sort=sort, limit=limit)
        return [from_document(doc) for doc in docs]

    async def _view(self, dossier_id: str) -> tuple[Dossier | None, int]:
        doc = await self._dossiers.find_one({"_id": dossier_id})
        return (from_document(doc), int(doc["version"])) if doc else (None, 0)

    async def _latest(self, dossier_id: str) -> tuple[Dossier | None, int, bool]:
        """(dossier, its version, whether the view trails the log)."""
        doc = await self._dossiers.find_one({"_id": dossier_id})
        version = int(doc["version"]) if doc else 0
        # Log entries are numbered 1, 2, ... per dossier: look up the next ones by exact _id (an index
        # lookup; FerretDB 1.24 scans the whole log for an _id range).
        newer: dict[str, Any] | None = None
        while (entry := await self._log.find_one({"_id": _log_key(dossier_id, version + 1)})) is not None:
            newer, version = entry, version + 1
        if newer is not None:
            return from_document({"_id": dossier_id, **newer["snapshot"]}), int(newer["seq"]), True
        return (from_document(doc) if doc else None), version, False

    async def _write_view(self, dossier: Dossier, version: int) -> None:
        await self._replace_older(dossier.dossier_id, version, {**to_document(dossier), "version": version})

    async def _replace_older(self, dossier_id: str, version: int, view: dict[str, Any]) -> None:
        # Skip when the view is already at this version or later (a faster writer of a later change).
        try:
            await self._dossiers.replace_one({"_id": dossier_id, "version": {"$lt": version}}, view, upsert=True)
        except DuplicateKeyError:
            pass


async def _insert_in_flight(collection: AsyncCollection[Any], documents: list[dict[str, Any]]) -> list[int]:
    """Unordered inserts in commands of `_INSERT_CHUNK` in flight together (on FerretDB one command
    writes its documents one after the other: several go in 2-3 times faster, docs/performance.md);
    the indexes of the documents refused for a duplicate key."""
    starts = range(0, len(documents), _INSERT_CHUNK)
    refused = await asyncio.gather(
        *(_ignoring_duplicates(collection.insert_many(documents[i : i + _INSERT_CHUNK], ordered=False)) for i in starts)
    )
    return [start + index for start, indexes in zip(starts, refused, strict=True) for index in indexes]


async def _ignoring_duplicates(write: Awaitable[object]) -> list[int]:
    """Await an unordered bulk write; the indexes of its writes refused for a duplicate key (another
    writer's document holds the place), raising on any other error."""
    try:
        await write
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(e.get("code") != _DUPLICATE_KEY for e in errors):
            raise
        return [int(e["index"]) for e in errors]
    return []


_DOCUMENT_FIELDS = tuple(f.name for f in fields(Dossier) if f.name != "dossier_id")


def to_document(dossier: Dossier) -> dict[str, Any]:
    """The dossier as stored (without `_id`, which is the dossier id)."""
    # Field by field rather than dataclasses.asdict, whose deep copies were most of the fold's CPU
    # (the profile in docs/performance.md); the entries' `data` are plain JSON values nobody mutates.
    doc = {name: getattr(dossier, name) for name in _DOCUMENT_FIELDS}
    doc["seen"] = sorted(dossier.seen)
    doc["status"] = dossier.status.value if dossier.status else None
    doc["history"] = [{**vars(h), "status": h.status.value} for h in dossier.history]
    doc["anomalies"] = [{**vars(a), "status": a.status.value if a.status else None} for a in dossier.anomalies]
    return doc


def _local(instant: datetime) -> datetime:
    return instant.astimezone(PROVINCE_TZ)


def from_document(doc: dict[str, Any]) -> Dossier:
    # The store gives instants back in UTC; the province reads them in its own time zone.
    def when(name: str) -> datetime | None:
        value = doc.get(name)
        return value.astimezone(PROVINCE_TZ) if isinstance(value, datetime) else None

    return Dossier(
        dossier_id=doc["_id"],
        code=doc.get("code"),
        agency_code=doc.get("agency_code"),
        procedure_code=doc.get("procedure_code"),
        channel=doc.get("channel"),
        receiving_agency_code=doc.get("receiving_agency_code"),
        status=DossierStatus(doc["status"]) if doc.get("status") else None,
        received_at=when("received_at"),
        accepted_at=when("accepted_at"),
        due_at=when("due_at"),
        paused_since=when("paused_since"),
        apology_due_at=when("apology_due_at"),
        due_soon_at=when("due_soon_at"),
        overdue_at=when("overdue_at"),
        result_at=when("result_at"),
        closed_at=when("closed_at"),
        supplement_request_id=doc.get("supplement_request_id"),
        supplement_respond_by=when("supplement_respond_by"),
        supplement_reminded_at=when("supplement_reminded_at"),
        supplement_expired_at=when("supplement_expired_at"),
        uncollected_at=when("uncollected_at"),
        rating=doc.get("rating"),
        history=tuple(
            HistoryEntry(**{**h, "status": DossierStatus(h["status"]), "when": _local(h["when"])})
            for h in doc.get("history", [])
        ),
        anomalies=tuple(
            Anomaly(
                **{**a, "status": DossierStatus(a["status"]) if a.get("status") else None, "when": _local(a["when"])}
            )
            for a in doc.get("anomalies", [])
        ),
        seen=frozenset(doc.get("seen", [])),
    )
