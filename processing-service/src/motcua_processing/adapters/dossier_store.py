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
"""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.lifecycle import DossierStatus
from motcua_shared.mongo import insert_once
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain.deadlines import WorkingCalendar
from ..domain.dossier import Anomaly, Dossier, HistoryEntry, fold

_MAX_ATTEMPTS = 50
# An officer's turn left by a process that died mid-action is free again after this long.
TURN_LEASE = timedelta(seconds=30)
_SEQ_DIGITS = 10


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

    async def get(self, dossier_id: str) -> Dossier | None:
        """The dossier as of its newest change."""
        dossier, _, _ = await self._latest(dossier_id)
        return dossier

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

    async def _view(self, dossier_id: str) -> tuple[Dossier | None, int]:
        doc = await self._dossiers.find_one({"_id": dossier_id})
        return (from_document(doc), int(doc["version"])) if doc else (None, 0)

    async def _latest(self, dossier_id: str) -> tuple[Dossier | None, int, bool]:
        """(dossier, its version, whether the view trails the log)."""
        doc = await self._dossiers.find_one({"_id": dossier_id})
        version = int(doc["version"]) if doc else 0
        newer = await self._log.find_one(
            {"_id": {"$gt": _log_key(dossier_id, version), "$lte": _log_key(dossier_id, 10**_SEQ_DIGITS - 1)}},
            sort=[("_id", DESCENDING)],
        )
        if newer is not None:
            return from_document({"_id": dossier_id, **newer["snapshot"]}), int(newer["seq"]), True
        return (from_document(doc) if doc else None), version, False

    async def _write_view(self, dossier: Dossier, version: int) -> None:
        # Skip when the view is already at this version or later (a faster writer of a later change).
        try:
            await self._dossiers.replace_one(
                {"_id": dossier.dossier_id, "version": {"$lt": version}},
                {**to_document(dossier), "version": version},
                upsert=True,
            )
        except DuplicateKeyError:
            pass


def to_document(dossier: Dossier) -> dict[str, Any]:
    """The dossier as stored (without `_id`, which is the dossier id)."""
    doc = asdict(dossier)
    doc.pop("dossier_id")
    doc["seen"] = sorted(dossier.seen)
    doc["status"] = dossier.status.value if dossier.status else None
    doc["history"] = [{**asdict(h), "status": h.status.value} for h in dossier.history]
    doc["anomalies"] = [{**asdict(a), "status": a.status.value if a.status else None} for a in dossier.anomalies]
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
