"""The dossier read model, and how claimed records change it and the counters exactly once.

One document per dossier holds its facts, the ids of the events applied (`applied`), the derived view
(queryable fields), the counters it adds to and by how much (`contributions`, see
domain/contributions.py), and the claim that last wrote it with the change of its contributions that
claim made (`claim`, `claim_delta`; absent when that claim inserted the dossier: the change is then its
contributions).

Folding records of a stream (see `fold`):
1. the stream's latest claim is settled first: if it is not done, its writer is this one (a retry)
   or has been silent for `takeover_after` seconds (dead), and it is applied again;
2. records before the chain's next position are skipped (another writer folded them); the rest are
   claimed by inserting the claim document (claims.py) -- losing that insert means someone else took
   them: start again at 1;
3. applying a claim: every dossier of the claim that this writer wrote lately is read once (the
   others are taken for new), its new facts added (an event id already in `applied` is a redelivery
   or a duplicate: nothing changes), its view derived from all its facts, and the documents written
   -- with `claim` and `claim_delta` -- new ones in one batch of inserts, the others replaced; a
   dossier taken for new whose insert finds its document there is read and replaced after (on
   FerretDB an insert costs a fraction of a read and a replacement, and an import's or a rebuild's
   dossiers are nearly all new); then the claim's net counter changes go to the stream's counter
   documents (counters.py, once each per claim), then the claim is marked done.
Applying a claim again after a crash is harmless: a dossier whose `claim` is this claim already has
its facts, and gives its recorded change instead of a new one; a counter document whose `pos` is
past the claim's start already has the claim's change. Only one writer applies a stream's claims at a
time, so none of these documents is ever written by two writers at once.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from motcua_shared import events as ev
from motcua_shared.mongo import find_by_ids
from pymongo import ReplaceOne

from ..domain.contributions import counts
from ..domain.dossier import OPEN, DossierView, derive, fact_of, instant
from ..domain.timeliness import local_date
from .bulk import insert_new, update_all
from .claims import Claim, Claims, new_writer_id
from .counter_store import ClaimConflict
from .counters import Counters
from .read_models import ReadModels

log = logging.getLogger(__name__)

Record = tuple[int, ev.DossierEvent | None]  # position in the stream, event (None: not a valid event)
DIRECT = "direct"


@dataclass
class Change:
    """What a claim changes in one dossier: its counter changes (as stored), the events that were new,
    and the document to write (None: nothing to write), a replacement or an insert."""

    delta: list[dict[str, Any]]
    events: int = 0
    document: dict[str, Any] | None = None
    replace: bool = False


class ClaimTimeout(Exception):
    """The stream's chain did not move within the wait (a writer holds a claim, or a gap stays open)."""


def view_fields(view: DossierView) -> dict[str, Any]:
    """The queryable fields of the dossier document (no personal data)."""

    def day(at: str | None) -> str | None:
        return local_date(instant(at)).isoformat() if at else None

    latest = view.facts[-1]["at"] if view.facts else None
    return {
        "dossier_code": view.code,
        "procedure_code": view.procedure,
        "agency_code": view.agency,
        "handling_agency": view.agency_at(latest) if latest else view.agency,
        "channel": view.channel,
        "status": view.status,
        "outcome": view.outcome,
        "received_at": view.received_at,
        "received_date": day(view.received_at) or OPEN,
        "accepted_at": view.accepted_at,
        "original_due_at": view.original_due_at,
        "due_at": view.due_at,
        "due_date": day(view.due_at),
        "result_at": view.result_at,
        "result_date": day(view.result_at),
        "returned_at": view.returned_at,
        "delivery": view.delivery,
        "timeliness": view.timeliness.value if view.timeliness else None,
        "refused_at": view.refused_at,
        "withdrawn_at": view.withdrawn_at,
        "closed_date": view.closed_date,
        "rating": view.rating,
        "rated_at": view.rated_at,
        "paid_online": view.paid_online,
        "pauses": [{"kind": p.kind, "start": p.start, "end": p.end} for p in view.pauses],
        "apology": {"letters": len(view.apologies), "in_time": view.apology_in_time},
        "late_without_apology": view.late_without_apology,
        # Decision 766's scorecard (scorecard_report.py): digitisation, and who resolved it.
        "digitised": view.digitised,
        "electronic_result": view.electronic_result,
        "result_agency": view.agency_at(view.result_fact_at) if view.result_fact_at else None,
        "anomalies": view.anomalies,
    }


def _packed(changes: Counter[str]) -> list[dict[str, Any]]:
    """Counter changes as stored: a list of small objects (FerretDB stores no nested arrays, and key
    ids hold dots, so they cannot be field names)."""
    return [{"k": k, "n": n} for k, n in sorted(changes.items()) if n]


def _unpacked(stored: list[dict[str, Any]]) -> Counter[str]:
    return Counter({item["k"]: int(item["n"]) for item in stored})


class DossierProjection:
    """Folds dossier events into the dossier documents and the counters of one generation."""

    remember = 50_000  # ids of dossiers written lately, read before their next change (see _apply)

    def __init__(
        self,
        models: ReadModels,
        *,
        writer: str | None = None,
        takeover_after: float = 30.0,
        handover_wait: float = 30.0,
        poll: float = 0.05,
    ) -> None:
        self._models = models
        self._dossiers = models.dossiers
        self.claims = Claims(models.claims)
        self.counters = Counters(models)
        self.writer = writer or new_writer_id()
        self.takeover_after = takeover_after
        self.handover_wait = handover_wait
        self._poll = poll
        # One fold per stream at a time in this process: a writer's own unfinished claim is applied
        # again at once, which is only safe when that writer is not applying it right now.
        self._locks: dict[str, asyncio.Lock] = {}
        self._seen: dict[str, None] = {}  # insertion-ordered: least recent first

    def _lock(self, stream: str) -> asyncio.Lock:
        return self._locks.setdefault(stream, asyncio.Lock())

    async def fold(self, stream: str, records: Sequence[Record]) -> int:
        """Fold records of `stream` (positions increasing, as read from the partition); the number of
        events that changed the read models (0 for records folded before, duplicates, invalid ones)."""
        async with self._lock(stream):
            return await self._fold(stream, sorted(records, key=lambda r: r[0]))

    async def _fold(self, stream: str, records: list[Record]) -> int:
        waited_since: float | None = None
        while records:
            latest = await self._settled_latest(stream)
            if latest is not None:
                records = [r for r in records if r[0] >= latest.next]
                if not records:
                    return 0
                if records[0][0] > latest.next:
                    # Positions before ours are not folded into this generation yet (a rebuild still
                    # catching up to where this live consumer was): let the chain reach us.
                    waited_since = waited_since or time.monotonic()
                    if time.monotonic() - waited_since < self.handover_wait:
                        await asyncio.sleep(self._poll)
                        continue
                    log.warning(
                        "stream %s: positions %d..%d never folded; continuing at %d",
                        stream,
                        latest.next,
                        records[0][0] - 1,
                        records[0][0],
                    )
            start = latest.next if latest is not None else records[0][0]
            claim = self._claim(stream, start, records)
            if await self.claims.insert(claim):
                if latest is None:
                    self.counters.began(stream, start)
                return await self._apply(claim)
        return 0

    async def begin(self, stream: str, position: int) -> None:
        """Begin the stream's chain at `position` unless it has begun (claims.py, `begin_at`)."""
        if await self.claims.begin_at(stream, position, self.writer):
            self.counters.began(stream, position)

    async def fold_events(self, events: Sequence[ev.DossierEvent], stream: str = DIRECT) -> int:
        """Fold events that come from no partition (tools, imports, tests): they are numbered after the
        stream's last claim. The number of events that changed the read models."""
        if not events:
            return 0
        async with self._lock(stream):
            return await self._fold_events(events, stream)

    async def _fold_events(self, events: Sequence[ev.DossierEvent], stream: str) -> int:
        while True:
            latest = await self._settled_latest(stream)
            start = latest.next if latest is not None else 0
            claim = self._claim(stream, start, [(start + i, e) for i, e in enumerate(events)])
            if await self.claims.insert(claim):
                if latest is None:
                    self.counters.began(stream, start)
                return await self._apply(claim)

    def _claim(self, stream: str, start: int, records: Sequence[Record]) -> Claim:
        # Each fact keeps its stream and position, so that a published report, which records the
        # positions folded when it was computed, can tell which events came later (a rebuild folds
        # every event again at the same positions).
        facts = [
            {"o": o, "d": e.dossier_id, "f": {**fact_of(e), "stream": stream, "offset": o}}
            for o, e in records
            if e is not None
        ]
        return Claim(stream, start, records[-1][0], facts, self.writer, time.time())

    async def _settled_latest(self, stream: str) -> Claim | None:
        """The stream's latest claim, once done: applied again here if its writer is this one (a
        retry) or has been silent too long (it died)."""
        while True:
            latest = await self.claims.latest(stream)
            if latest is None or latest.done:
                return latest
            if latest.writer == self.writer or time.time() - latest.at > self.takeover_after:
                if latest.writer != self.writer:
                    log.warning("taking over claim %s of writer %s", latest.id, latest.writer)
                await self._apply(latest)
                continue
            await asyncio.sleep(self._poll)

    async def _apply(self, claim: Claim) -> int:
        by_dossier: dict[str, list[dict[str, Any]]] = {}
        for item in claim.facts:
            by_dossier.setdefault(item["d"], []).append(item["f"])
        # Dossiers this writer has not written lately are taken for new and inserted, with no read
        # first (an import's, a rebuild's); one that turns out to exist is read and replaced after.
        docs = await find_by_ids(self._dossiers, [d for d in by_dossier if d in self._seen])
        changes = {d: self._changed(claim, d, facts, docs.get(d)) for d, facts in by_dossier.items()}
        taken = await self._write(changes)
        if taken:
            found = await find_by_ids(self._dossiers, taken)
            retried = {d: self._changed(claim, d, by_dossier[d], found.get(d)) for d in taken}
            if await self._write(retried):
                raise ClaimConflict(f"dossiers of claim {claim.id} were inserted meanwhile")
            changes.update(retried)
        deltas: Counter[str] = Counter()
        for change in changes.values():
            deltas.update(_unpacked(change.delta))
        self._remember(by_dossier)
        await self.counters.apply_claim(claim.stream, claim.start, claim.end, deltas)
        self.claims.done(claim)  # marked in the store while the next claim is inserted (claims.py)
        return sum(change.events for change in changes.values())

    def _changed(
        self, claim: Claim, dossier_id: str, facts: list[dict[str, Any]], doc: dict[str, Any] | None
    ) -> "Change":
        """What the claim's facts change in one dossier's document (read, or None: taken for new)."""
        if doc is not None and doc.get("claim") == claim.id:  # written by an earlier attempt at this claim
            return Change(doc.get("claim_delta", doc["contributions"]))
        applied = list(doc["applied"]) if doc else []
        known = set(applied)
        new = []
        for fact in facts:
            if fact["id"] not in known:
                known.add(fact["id"])
                new.append(fact)
        if not new:
            return Change([])
        view = derive([*(doc["facts"] if doc else []), *new])
        old = _unpacked(doc["contributions"]) if doc else Counter()
        now = Counter({key.id: n for key, n in counts(view).items()})
        delta = _packed(Counter({k: now[k] - old[k] for k in now.keys() | old.keys()}))
        replacement = {
            "_id": dossier_id,
            **view_fields(view),
            "facts": view.facts,
            "contributions": _packed(now),
            "applied": applied + [f["id"] for f in new],
            "claim": claim.id,
        }
        if doc is not None:  # an inserted dossier's change is its contributions: not stored twice
            replacement["claim_delta"] = delta
        return Change(delta, len(new), replacement, replace=doc is not None)

    async def _write(self, changes: dict[str, "Change"]) -> list[str]:
        """New dossiers inserted in one batch (FerretDB writes inserts far faster than upserts or
        replacements), known ones replaced; the ids taken for new whose document existed already."""
        new = [c.document for c in changes.values() if c.document is not None and not c.replace]
        replaced = [ReplaceOne({"_id": d}, c.document) for d, c in changes.items() if c.document and c.replace]
        taken, _ = await asyncio.gather(insert_new(self._dossiers, new), update_all(self._dossiers, replaced))
        return [new[i]["_id"] for i in taken]

    def _remember(self, dossier_ids: Iterable[str]) -> None:
        """The dossiers this writer has written lately (they exist: read them before the next change)."""
        for dossier_id in dossier_ids:
            self._seen.pop(dossier_id, None)
            self._seen[dossier_id] = None
        while len(self._seen) > self.remember:
            del self._seen[next(iter(self._seen))]

    async def unfinished(self) -> int:
        """Claims not done (a writer is at work, or died half-way and the next one will apply them)."""
        return len(await self.claims.pending())
