"""Pre-aggregated counters, in one document per stream and period, written by one writer at a time.

A counter (kind, date, agency, procedure, dim) lives in the document of its stream -- a partition of
dossier.events, whose dossiers only ever change there -- and its period (the month of a monthly
total, the year of the open states' monthly nets, ...; reports.py says which store holds what):

    {_id: "p0|2025-01", stream: "p0", period: "2025-01", pos: 4711,
     rows: zlib('[["received", "2025-01-06", "STNMT", "1.001", "direct", 12], …]')}

The rows are one compressed JSON text: FerretDB converts every nested field of a document on each
read and write, and a month's counters are thousands of them; as one small binary the same document
reads a hundred times faster (on its PostgreSQL backend, 2,800 rows: 1.3 ms as a blob, 190 ms as nested
objects), and a report decodes it with one `json.loads`. (`decode_rows` shows one.)
`pos` is the end of the last claim (see claims.py) whose changes are in the document. Claims of a
stream are applied one after the other by the one writer that holds the stream's chain, so the
document is never written by two writers at once, and a claim applied again after a crash changes
only the documents it had not reached (`pos` below the claim's start). Reports read documents by
`_id`, which every store answers from an index: their number grows with the periods asked for and the
partitions, not with the dossiers.

Writing (issue 16): a store keeps, per stream, the documents it last wrote (`Known`), valid while the
claims it applies follow on from the last one it applied (the claim's start is the cached position + 1:
no other writer can have applied a claim of the stream in between, the chain being one line). So a
claim reads only the documents it has not seen, and a stream whose chain began with this writer (a
rebuild, a fresh generation) reads none. Every cached update is conditional on `pos` being below the
claim's start: one that matches nothing (another writer applied the same claim, racing a takeover)
leaves what is there, as the read path does, and drops the cache. Each document is written once per
claim, whatever number of its counters change.
"""

import asyncio
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from motcua_shared.mongo import insert_once
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey, Kind
from .bulk import insert_new, update_all
from .handover import Written

MONTH, YEAR = 7, 4  # how many characters of a counter's date name its document's period
FRONTIER = "frontier"
POINT_IN_TIME = (Kind.OPEN, Kind.UNCOLLECTED)  # counters of a state entered or left, maybe ahead of today
Row = tuple[str, str, str, str, str]  # kind, date, agency, procedure, dim


def month_doc_id(stream: str, period: str) -> str:
    return f"{stream}|{period}"


def months_between(first: str, last: str) -> list[str]:
    """The months "YYYY-MM" from the month of `first` to the month of `last` (ISO dates or months)."""
    found, year, month = [], int(first[:4]), int(first[5:7])
    while (year, month) <= (int(last[:4]), int(last[5:7])):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def encode_rows(counts: Mapping[Row, int]) -> bytes:
    text = ",".join(f"{_row_text(key)}{n}]" for key, n in sorted(counts.items()) if n)
    return zlib.compress(f"[{text}]".encode(), 1)


@lru_cache(maxsize=65536)
def _row_text(row: Row) -> str:
    """A row's JSON text up to its count (`["received", ..., "direct", `): encoded once per process."""
    return json.dumps(list(row), ensure_ascii=False)[:-1] + ", "


@lru_cache(maxsize=65536)
def row_of(key_id: str) -> Row:
    """A counter key id (CounterKey.id) as a row."""
    kind, day, agency, procedure, dim = json.loads(key_id)
    return (kind, day, agency, procedure, dim)


def _listed(blob: bytes | None) -> list[list[Any]]:
    return json.loads(zlib.decompress(blob)) if blob else []


def decode_rows(blob: bytes | None) -> dict[Row, int]:
    return {tuple(row[:5]): int(row[5]) for row in _listed(blob)}


class StreamRegistry:
    """The streams that have written read models: one document each, inserted once. The document
    says how the stream's day documents are laid out (`days`: FRONTIER for every stream registered
    since the frontier, see MonthToDate; absent for a stream written before, whose documents run to
    each month's end, as they go on doing)."""

    def __init__(self, streams: AsyncCollection[Any]) -> None:
        self._streams = streams
        self._layouts: dict[str, str] = {}
        self._registering = asyncio.Lock()  # the stores sharing a registry register a stream once

    async def register(self, stream: str) -> None:
        await self.layout(stream)

    async def layout(self, stream: str) -> str:
        """The stream's day-document layout (FRONTIER or ""), registering it when new: one write or
        read per stream and process."""
        if stream not in self._layouts:
            async with self._registering:
                if stream not in self._layouts:
                    if await insert_once(self._streams, {"_id": stream, "days": FRONTIER}):
                        layout = FRONTIER
                    else:
                        doc = await self._streams.find_one({"_id": stream})
                        layout = str((doc or {}).get("days", ""))
                    self._layouts[stream] = layout
        return self._layouts[stream]

    async def all(self) -> list[str]:
        return sorted([doc["_id"] async for doc in self._streams.find({})])


class ClaimConflict(Exception):
    """Documents a claim was to write were written by another writer meanwhile: the claim is applied
    again, from the store."""


@dataclass
class Known:
    """The documents of one stream as this store last wrote them, valid through claim position `through`."""

    through: int
    docs: dict[str, dict[Row, int]] = field(default_factory=dict)  # doc id -> counts, least recent first
    # Every document of the stream, when its chain began with this writer (else None: unlisted ones may exist).
    existing: set[str] | None = None
    rows: int = 0  # rows held in `docs`
    # MonthToDate, a stream of FRONTIER layout: the last day with a document in each month (None: not
    # read yet), and the months this claim moves it in, to store once the documents are written.
    frontier: dict[str, str] | None = None
    moving: dict[str, str] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)  # documents known not to exist (beyond the frontier)

    def keep(self, doc_id: str, counts: dict[Row, int]) -> None:
        self.rows -= len(self.docs.pop(doc_id, ()))
        self.docs[doc_id] = counts
        self.rows += len(counts)

    def evict_to(self, limit: int) -> None:
        while self.rows > limit and len(self.docs) > 1:
            oldest = next(iter(self.docs))
            self.rows -= len(self.docs.pop(oldest))

    def may_exist(self, doc_id: str) -> bool:
        if doc_id in self.absent:
            return False
        return self.existing is None or doc_id in self.existing


class CounterStore:
    # Rows of decoded documents kept per stream (a month of daily documents is ~31 x catalogue rows).
    cache_rows = 60_000

    def __init__(self, counters: AsyncCollection[Any], streams: AsyncCollection[Any], *, period: int = MONTH) -> None:
        self._counters = counters
        self._period = period
        self.streams = StreamRegistry(streams)
        self._known: dict[str, Known] = {}
        # Per stream, the rows of each document the current claim wrote, for this process's readers
        # (handover.py); None: what the store holds is not known here (another writer's documents).
        self.written: dict[str, dict[tuple[str, str], Written] | None] = {}

    def began(self, stream: str, position: int) -> None:
        """The stream's chain began at `position` with this writer: it has no document yet."""
        self._known[stream] = Known(position - 1, existing=set())

    def _placed(self, deltas: Mapping[Row, int]) -> dict[str, dict[Row, int]]:
        """The changes each period document takes."""
        by_period: dict[str, dict[Row, int]] = {}
        for row, n in deltas.items():
            if n:
                by_period.setdefault(row[1][: self._period], {})[row] = n
        return by_period

    async def apply_claim(
        self, stream: str, start: int, end: int, deltas: Mapping[str, int] | Mapping[Row, int]
    ) -> int:
        """Add the claim's net `deltas` (counter key id, or row -> change) to the stream's period documents
        that do not have it yet; the number of documents written."""
        rows: dict[Row, int] = {(row_of(k) if isinstance(k, str) else k): n for k, n in deltas.items()}
        known = self._known.get(stream)
        if known is None or known.through != start - 1:
            known = self._known[stream] = Known(start - 1)  # nothing trusted: read what is touched
        try:
            by_period = await self._place(stream, start, end, rows, known)
            if not by_period:
                known.through = end
                return 0
            written = await self._write(stream, start, end, by_period, known)
            await self._wrote(stream, known)
        except BaseException:
            self._known.pop(stream, None)
            raise
        known.evict_to(self.cache_rows)
        return written

    async def _place(
        self, stream: str, start: int, end: int, rows: Mapping[Row, int], known: Known
    ) -> dict[str, dict[Row, int]]:
        """The changes each document takes (added to what it holds; a document not there is new)."""
        return self._placed(rows)

    async def _wrote(self, stream: str, known: Known) -> None:
        """After the claim's documents are written (MonthToDate stores its frontier)."""

    async def _write(
        self, stream: str, start: int, end: int, by_period: dict[str, dict[Row, int]], known: Known
    ) -> int:
        ids = {period: month_doc_id(stream, period) for period in by_period}
        unread = [i for i in ids.values() if i not in known.docs and known.may_exist(i)]
        _, *found = await asyncio.gather(
            self.streams.register(stream), *(self._counters.find_one({"_id": i}) for i in unread)
        )
        ahead = False
        for doc in found:
            if doc is None:
                continue
            pos = int(doc.get("pos", -1))
            if pos < start:
                known.keep(doc["_id"], decode_rows(doc.get("rows")))
            else:  # this claim reached the document before a crash (or a later one did: trust nothing after)
                ahead = ahead or pos > end
                self.written[stream] = None
                ids = {p: i for p, i in ids.items() if i != doc["_id"]}
        inserts: list[tuple[str, dict[Row, int], dict[str, Any]]] = []
        updates: list[tuple[str, dict[Row, int], UpdateOne]] = []
        blobs: dict[str, Written] = {}
        for period, doc_id in ids.items():
            old = known.docs.get(doc_id)
            counts = dict(old) if old is not None else {}
            removed, added = [], []
            for row, n in by_period[period].items():
                was = counts.get(row, 0)
                total = was + n
                if total:
                    counts[row] = total
                else:
                    counts.pop(row, None)
                if n and was:
                    removed.append((*row, was))
                if n and total:
                    added.append((*row, total))
            blob = encode_rows(counts)
            blobs[doc_id] = Written(blob, removed, added)
            if old is None:  # inserts go in one batch: far faster than upserts on FerretDB
                doc = {"_id": doc_id, "stream": stream, "period": period, "pos": end, "rows": blob}
                inserts.append((doc_id, counts, doc))
            else:
                change = {"$set": {"pos": end, "rows": blob}}
                updates.append((doc_id, counts, UpdateOne({"_id": doc_id, "pos": {"$lt": start}}, change)))
        taken, matched = await asyncio.gather(
            insert_new(self._counters, [d for _, _, d in inserts]),
            update_all(self._counters, [u for _, _, u in updates]),
        )
        if taken or matched != len(updates):
            # Another writer applied this claim too (a takeover racing a slow writer), or a later one:
            # an update that matched nothing found `pos` past the claim's start, and what is there
            # stands, as on the read path; a document taken for new that exists is read and applied.
            self._known.pop(stream, None)
            self.written[stream] = None
            again = {inserts[i][2]["period"]: by_period[inserts[i][2]["period"]] for i in taken}
            redone = await self._write(stream, start, end, again, Known(start - 1)) if again else 0
            return len(inserts) - len(taken) + matched + redone
        written = self.written.setdefault(stream, {})
        if written is not None:
            name = self._counters.name
            written.update({(name, d): w for d, w in blobs.items()})
        for doc_id, counts, _ in [*inserts, *updates]:
            known.keep(doc_id, counts)
            if known.existing is not None:
                known.existing.add(doc_id)
        if ahead:
            self._known.pop(stream, None)
        else:
            known.through = end
        return len(inserts) + len(updates)

    async def rows(self, kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` dated in [start, end] (ISO dates, or months in the yearly store), one
        row per stream; callers add them up."""
        periods = sorted({m[: self._period] for m in months_between(start, end)})
        streams = await self.streams.all()
        docs = await asyncio.gather(
            *(self._counters.find_one({"_id": month_doc_id(s, p)}) for s in streams for p in periods)
        )
        return _rows(docs, kinds, start, end)

    async def rows_until(self, kinds: list[str], end: str) -> list[tuple[CounterKey, int]]:
        """Counters of `kinds` dated up to `end`, from the first period on (one row per stream)."""
        docs = [doc async for doc in self._counters.find({"period": {"$lte": end[: self._period]}})]
        return _rows(docs, kinds, "", end)

    async def totals(self) -> dict[str, int]:
        """Every counter key's total over the streams (for tests and checks)."""
        found: dict[str, int] = {}
        async for doc in self._counters.find({}):
            for row, n in decode_rows(doc.get("rows")).items():
                key_id = CounterKey(*row).id
                found[key_id] = found.get(key_id, 0) + n
        return {k: n for k, n in found.items() if n}


class MonthToDate(CounterStore):
    """Daily counters as running totals from the first of the month: the document of a day holds every
    counter of its month up to that day (dated by month), so the counters of any days within one month
    are the difference of two documents, however many dossiers.

    A stream of FRONTIER layout (StreamRegistry) has documents only from its month's first day changed
    up to the *frontier*, the last day of the month changed so far, every day between included; its
    running total through any later day of the month is the frontier's document. A change on a day goes
    to the documents from that day to the frontier; a day past the frontier moves it, and the days up to
    it are new documents: the frontier's total before the claim plus the claim's changes through them.
    So a live claim (events dated today) writes one document, not one per day to the month's end. The
    frontier is stored, after the documents and before the change mark, in `reporting_meta`:

        {_id: "frontier|<prefix>|p0", "2025-12": "2025-12-02", "2025-11": "2025-11-30"}

    (`$max` per month: a claim applied again never moves it back). A reader of day D of month M reads
    stream s's document of min(D, frontier[M]), none when M has no frontier (nothing changed in it),
    and D itself when the stream has no frontier document (written before: documents to the month's
    end). `frontier_id` names it; `frontier_doc` picks the document. A stream registered before keeps
    writing to the month's end."""

    # Changes of open states dated past the frontier kept in its document, dated by day (a reader filters
    # them with `through_day`); False: they move the frontier to their day like any change.
    keep_ahead = True

    def __init__(
        self,
        counters: AsyncCollection[Any],
        streams: AsyncCollection[Any],
        marks: AsyncCollection[Any] | None = None,
        prefix: str = "",
    ) -> None:
        super().__init__(counters, streams, period=10)
        self._marks = marks  # None: no frontier stored anywhere, every stream written to the month's end
        self._prefix = prefix

    def _placed(self, deltas: Mapping[Row, int]) -> dict[str, dict[Row, int]]:
        """Running sums from each month's first day changed to the month's end (a stream written before
        the frontier)."""
        by_day: dict[str, dict[Row, int]] = {}
        for days in _by_month(deltas).values():
            running: dict[Row, int] = {}
            current = date.fromisoformat(min(days))
            month = current.month
            while current.month == month:
                for row, n in days.get(current.isoformat(), {}).items():
                    running[row] = running.get(row, 0) + n
                by_day[current.isoformat()] = dict(running)
                current += timedelta(days=1)
        return by_day

    async def _place(
        self, stream: str, start: int, end: int, rows: Mapping[Row, int], known: Known
    ) -> dict[str, dict[Row, int]]:
        if self._marks is None or await self.streams.layout(stream) != FRONTIER:
            return self._placed(rows)
        trusted = known.frontier is not None  # cached with the documents: nothing lies past it
        if known.frontier is None:
            doc = await self._marks.find_one({"_id": frontier_id(self._prefix, stream)})
            known.frontier = {k: str(v) for k, v in (doc or {}).items() if k != "_id"}
        known.moving = {}
        by_day: dict[str, dict[Row, int]] = {}
        for month, days in _by_month(rows).items():
            old = known.frontier.get(month)
            # Flows are dated when they happened; open-state changes may lie ahead (a due date passing):
            # those stay in the frontier's document, dated by day, rather than move it to that day.
            flows = [
                d
                for d, changes in days.items()
                if not self.keep_ahead or any(r[0] not in POINT_IN_TIME for r in changes)
            ]
            new = max([old or "", *flows]) or min(days)
            base = await self._total_before(stream, start, end, old, days, known) if old and new > old else {}
            running: dict[Row, int] = {}
            first = min(days)
            current = date.fromisoformat(first) if first <= new else date.max  # date.max: none to add to
            if old and new > old:  # every day past the old frontier gets its document, changed or not
                current = min(current, date.fromisoformat(old) + timedelta(days=1))
            while current != date.max and (day := current.isoformat()) <= new:
                for row, n in days.get(day, {}).items():
                    running[row] = running.get(row, 0) + n
                if old is not None and day <= old:
                    by_day[day] = dict(running)  # added to the document there (or new, before the first)
                else:  # past the frontier: a new document, the frontier's total and the changes so far
                    by_day[day] = _added(through_day(base, day), running)
                    if trusted:
                        known.absent.add(month_doc_id(stream, day))
                current += timedelta(days=1)
            ahead = {
                (row[0], day, *row[2:]): n for day, changes in days.items() if day > new for row, n in changes.items()
            }
            if new != old:  # the new frontier carries what lay ahead of the old one, and lies ahead of it still
                ahead = _added({r: n for r, n in base.items() if len(r[1]) > MONTH and r[1] > new}, ahead)
                known.moving[month] = new
            if ahead:
                by_day[new] = _added(by_day.get(new, {}), ahead)
        return by_day

    async def _total_before(
        self, stream: str, start: int, end: int, day: str, days: dict[str, dict[Row, int]], known: Known
    ) -> dict[Row, int]:
        """The running total of `day`'s document (the frontier) as it was before this claim."""
        doc_id = month_doc_id(stream, day)
        if doc_id in known.docs:
            return known.docs[doc_id]
        doc = await self._counters.find_one({"_id": doc_id})
        if doc is None:
            return {}
        counts = decode_rows(doc.get("rows"))
        pos = int(doc.get("pos", -1))
        if pos < start:
            known.keep(doc_id, counts)
            return counts
        if pos <= end:  # this claim reached it before a crash: take its changes through `day` out again
            mine: dict[Row, int] = {}
            for changed, changes in days.items():
                if changed <= day:
                    for row, n in changes.items():
                        mine[row] = mine.get(row, 0) - n
            return _added(counts, mine)
        return counts  # a later claim was applied (a takeover race): what is there stands, as in _write

    async def _wrote(self, stream: str, known: Known) -> None:
        if known.moving and self._marks is not None:
            await self._marks.update_one(
                {"_id": frontier_id(self._prefix, stream)}, {"$max": known.moving}, upsert=True
            )
            if known.frontier is not None:
                known.frontier.update(known.moving)
            known.moving = {}
        known.absent.clear()

    async def totals(self) -> dict[str, int]:
        """Every counter key's total over the streams and the days (each day of a month from its first
        document to the month's end counted, a day past the last document as that document, with what
        it holds ahead up to that day): the same whatever the layout (for tests and checks)."""
        by_month: dict[tuple[str, str], dict[str, dict[Row, int]]] = {}
        for doc in await self._counters.find({}).to_list(None):
            stream, day = str(doc["_id"]).rsplit("|", 1)
            by_month.setdefault((stream, day[:7]), {})[day] = decode_rows(doc.get("rows"))
        found: dict[str, int] = {}
        for (_, month), docs in by_month.items():
            current, last = date.fromisoformat(min(docs)), None
            while current.isoformat()[:7] == month:
                last = docs.get(current.isoformat(), last)
                for row, n in through_day(last or {}, current.isoformat()).items():
                    key_id = CounterKey(*row).id
                    found[key_id] = found.get(key_id, 0) + n
                current += timedelta(days=1)
        return {k: n for k, n in found.items() if n}


def frontier_id(prefix: str, stream: str) -> str:
    """The `reporting_meta` document of a stream's frontier (MonthToDate)."""
    return f"frontier|{prefix}|{stream}"


def frontier_doc(stream: str, day: str, frontier: Mapping[str, str] | None) -> str:
    """The day document of `stream` that holds its month's running total through `day` for a reader,
    given the stream's frontier document (None: none, the stream's documents run to the month's end).
    A month without a frontier had no change: the id returned then names no document."""
    last = (frontier or {}).get(day[:7], day)
    return month_doc_id(stream, min(day, last))


def _by_month(deltas: Mapping[Row, int]) -> dict[str, dict[str, dict[Row, int]]]:
    """month -> day -> row (dated by month) -> change."""
    by_month: dict[str, dict[str, dict[Row, int]]] = {}
    for (kind, day, agency, procedure, dim), n in deltas.items():
        if n:
            on_day = by_month.setdefault(day[:7], {}).setdefault(day, {})
            row = (kind, day[:7], agency, procedure, dim)
            on_day[row] = on_day.get(row, 0) + n
    return by_month


def through_day(counts: Mapping[Row, int], day: str) -> dict[Row, int]:
    """The running total through `day` of a day document read for it (MonthToDate, `frontier_doc`):
    its rows dated by month, and those it holds dated by day (changes ahead of its day) up to `day`,
    dated by month."""
    total: dict[Row, int] = {}
    for (kind, dated, agency, procedure, dim), n in counts.items():
        if dated <= day:
            row = (kind, dated[:MONTH], agency, procedure, dim)
            total[row] = total.get(row, 0) + n
    return total


def _added(one: Mapping[Row, int], other: Mapping[Row, int]) -> dict[Row, int]:
    total = dict(one)
    for row, n in other.items():
        total[row] = total.get(row, 0) + n
    return total


def _rows(docs: list[Any], kinds: list[str], start: str, end: str) -> list[tuple[CounterKey, int]]:
    """The counters of `kinds` dated in [start, end] in `docs`."""
    wanted = set(kinds)
    found = []
    for doc in docs:
        for kind, day, agency, procedure, dim, n in _listed((doc or {}).get("rows")):
            if n and kind in wanted and start <= day <= end:
                found.append((CounterKey(kind, day, agency, procedure, dim), int(n)))
    return found
