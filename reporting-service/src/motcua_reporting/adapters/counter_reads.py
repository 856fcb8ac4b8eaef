"""The counters as reports read them (the CounterReader port, service_layer/ports.py).

The stores are those of adapters/counters.py. A report asks for a few period documents of a store
(a day of the month-to-date store, a month, a year of the open states' monthly nets, the yearly
nets); each is read once per request, from every stream at once, and added up over the streams into
rows by kind and date, which the process keeps with each stream's part (read_cache.PerStream). So a
report reads at most one document per stream and period, none when nothing changed since it was kept,
and after a claim of one stream that stream's documents alone, adding up only their rows that changed;
those this process's own fold has just written it takes as written, without reading them (handover.py).
"""

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from ..domain.contributions import CounterKey, Kind
from .counter_store import MONTH, Row, month_doc_id, months_between
from .counters import Standing, split_period
from .handover import HANDOVER, Where
from .handover import Rows as StoredRows
from .read_cache import Kept, PerStream, read_meta, versions_of

Rows = list[tuple[CounterKey, int]]
Dated = dict[Row, tuple[CounterKey, int]]  # a date's counters: stored row -> its shared key, its total
Merged = dict[str, dict[str, Dated]]  # kind -> date -> counters, added up over the streams
Changed = tuple[StoredRows, StoredRows]  # a document's rows a write changed: (removed, added)


def _listed(blob: bytes | None) -> list[list[Any]]:
    """A stored document's rows (its `rows` blob: counter_store.encode_rows, one compressed JSON list)."""
    return json.loads(zlib.decompress(blob)) if blob else []


def _pieces(blob: bytes | None) -> set[str]:
    """A stored document's rows as their JSON texts (`"received", "2025-03", ..., 12`). Two versions
    of a document differ in a few rows (a claim changes a few counters): comparing texts finds them
    without decoding the thousands that stayed. ValueError when the text is not a list of lists."""
    if not blob:
        return set()
    text = zlib.decompress(blob).decode()
    if not (text.startswith("[[") and text.endswith("]]")):
        raise ValueError("not a list of rows")
    return set(text[2:-2].split("],[")) if len(text) > 4 else set()


def _parsed(pieces: Iterable[str]) -> list[list[Any]]:
    """Rows from their texts; ValueError unless each is a flat row (a piece cut inside a value is not)."""
    rows = [json.loads(f"[{piece}]") for piece in pieces]
    if any(len(row) != 6 or isinstance(row[5], list) for row in rows):
        raise ValueError("not a row")
    return rows


@dataclass
class Sum:
    """A period's documents added up over the streams, as kept, by kind and date."""

    merged: Merged = field(default_factory=dict)
    rows: int = 0

    def add(self, listed: StoredRows, sign: int = 1, through: str | None = None) -> None:
        """Add (sign 1) or take out (-1) stored rows. `through`: a day document read for that day,
        whose rows dated by day (changes ahead of a frontier, counter_store.MonthToDate) count up to
        that day, dated by month (as counter_store.through_day)."""
        merged, keys = self.merged, _KEYS
        at: tuple[str, str] | None = None
        dated: Dated = {}
        for kind, day, agency, procedure, dim, n in listed:
            if through is not None and len(day) > MONTH:
                if day > through:
                    continue
                day = day[:MONTH]
            row = (kind, day, agency, procedure, dim)
            if at != (kind, day):  # stored rows come sorted: the same kind and date run on
                at, dated = (kind, day), merged.setdefault(kind, {}).setdefault(day, {})
            found = dated.get(row)
            if found is None:
                row, key = keys.get(row) or _new_key(row)  # the shared row: kept rows hold no copies
                dated[row] = (key, sign * n)
                self.rows += 1
            elif found[1] + sign * n:
                dated[row] = (found[0], found[1] + sign * n)
            else:
                del dated[row]
                self.rows -= 1

    def swap(
        self, old: bytes | None, new: bytes | None, through: str | None = None, changed: Changed | None = None
    ) -> None:
        """One stream's document `old` replaced by its `new` version: only the rows that differ (each
        row counts on its own, so the rows left out by `through` are the same either way); `changed`:
        those rows (removed, added) when the fold handed them over (handover.py), else compared."""
        if changed is not None:
            removed, added = changed
        else:
            try:
                before, after = _pieces(old), _pieces(new)
                removed, added = _parsed(before - after), _parsed(after - before)
            except ValueError:  # not as encode_rows writes them: every row, decoded
                removed, added = _listed(old), _listed(new)
        self.add(removed, -1, through)
        self.add(added, 1, through)

    def copy(self) -> "Sum":
        merged = {kind: {day: dict(dated) for day, dated in days.items()} for kind, days in self.merged.items()}
        return Sum(merged, self.rows)


def size_of(kept: PerStream) -> int:
    """What a kept sum holds, in counter rows (a stored blob takes about a row's room per 64 bytes)."""
    total: Sum = kept.total
    return total.rows + sum(len(blob or b"") for blob in kept.parts.values()) // 64 + 1


# One row and CounterKey per stored key, shared by every document read: a month's day documents
# repeat the same keys (dated by month: at 100k, 18,260 rows of a month's 31 documents hold 905 keys),
# so a day document costs a look-up per row instead of a frozen dataclass, and kept rows share them.
_KEYS: dict[Row, tuple[Row, CounterKey]] = {}
_KEYS_LIMIT = 100_000  # (about 25 MB at most) beyond it start again: keys already kept stay valid


def _new_key(row: Row) -> tuple[Row, CounterKey]:
    if len(_KEYS) >= _KEYS_LIMIT:
        _KEYS.clear()
    shared = _KEYS[row] = (row, CounterKey(*row))
    return shared


class CounterReads:
    """The CounterReader of one request over one generation's counter stores."""

    def __init__(self, kept: Kept) -> None:
        models = kept.models
        self._kept = kept
        self._stores: dict[str, AsyncCollection[Any]] = {
            "days": models.days,
            "months": models.months,
            "open_months": models.open_months,
            "open_years": models.open_years,
        }
        self._reading: dict[tuple[str, str], asyncio.Future[Merged]] = {}
        self._streams: asyncio.Future[list[str]] | None = None
        self._read_frontiers: asyncio.Future[list[dict[str, Any]]] | None = None

    async def _read_streams(self) -> list[str]:
        found = self._kept.streams()
        if found is None:
            found = sorted(doc["_id"] for doc in await self._kept.models.streams.find({}).to_list(None))
            self._kept.keep_streams(found)
        return list(found)

    async def streams(self) -> list[str]:
        if self._streams is None:
            self._streams = asyncio.ensure_future(self._read_streams())
        return await self._streams

    async def _frontiers(self) -> dict[str, dict[str, str]]:
        if self._kept.version is not None:
            return self._kept.version.frontiers
        if self._read_frontiers is None:  # no version: as the store has them now
            meta = read_meta(self._kept.models.db)
            self._read_frontiers = asyncio.ensure_future(meta)
        return versions_of(await self._read_frontiers, self._kept.models.prefix).frontiers

    @staticmethod
    def doc_id(store: str, period: str, stream: str, frontier: dict[str, str] | None) -> str:
        """The document of `stream` that holds `period` of `store` for a reader (as counter_store's
        frontier_doc). A stream with a day-document frontier (MonthToDate) has none past it: a later day
        of the month reads the frontier's (its running total through the frontier, and the changes it
        holds dated ahead: `Sum.add`'s `through`), a month without one the day itself. A stream without
        a frontier document has every day to the month's end."""
        if store != "days" or frontier is None:
            return month_doc_id(stream, period)
        return month_doc_id(stream, min(period, frontier.get(period[:MONTH], period)))

    async def _parts(self, store: str, period: str, streams: list[str]) -> dict[str, bytes | None]:
        """The stored rows of each stream's document of the period (None: no document), read together."""
        collection, frontiers = self._stores[store], await self._frontiers()
        parts: dict[str, bytes | None] = {}
        reads: dict[str, str] = {}  # stream -> the id of its document to read from the store
        for s in streams:
            doc_id = self.doc_id(store, period, s, frontiers.get(s))
            found, blob = self._handed_over(s, collection.name, doc_id)
            if found:
                parts[s] = blob
            else:
                reads[s] = doc_id
        docs = await asyncio.gather(*(collection.find_one({"_id": i}, {"rows": 1}) for i in reads.values()))
        parts.update({s: (doc or {}).get("rows") for s, doc in zip(reads, docs, strict=True)})
        return {s: parts[s] for s in streams}

    async def _changed(
        self, store: str, period: str, stream: str, held: bytes | None, new: bytes | None
    ) -> Changed | None:
        """The rows that turn the kept part `held` into `new`, when the fold handed both over (handover.py)."""
        at = self._handover_at(stream)
        if at is None or held is None:
            return None
        doc_id = self.doc_id(store, period, stream, (await self._frontiers()).get(stream))
        return HANDOVER.changed(*at, self._stores[store].name, doc_id, held, new)

    def _handed_over(self, stream: str, collection: str, doc_id: str) -> tuple[bool, bytes | None]:
        """The document as this process's fold wrote it under the token this request read (handover.py)."""
        at = self._handover_at(stream)
        return HANDOVER.rows(*at, collection, doc_id) if at is not None else (False, None)

    def _handover_at(self, stream: str) -> tuple[Where, str] | None:
        """Where the fold hands over the stream's documents, and the stream's token this request read."""
        version = self._kept.version
        if version is None or stream not in version.tokens:
            return None
        models = self._kept.models
        return (models.db.name, models.prefix, stream), version.tokens[stream][0]

    async def _read(self, store: str, period: str) -> Merged:
        """The period added up over the streams: from what is kept, reading only the streams whose
        document may have changed since (after a claim: that stream's, alone), or every stream's."""
        key = (store, period)
        streams = await self.streams()
        kept: PerStream | None = self._kept.get(key)
        began = self._kept.tick()
        through = period if store == "days" else None  # a day document counts up to its day
        if kept is None:
            parts = await self._parts(store, period, streams)
            total = Sum()
            for blob in parts.values():
                total.add(_listed(blob), 1, through)
            kept = PerStream(parts, dict.fromkeys(streams, began), total)
            self._kept.put(key, kept, size_of(kept), streams, since=began)
            return total.merged
        stale = kept.stale(streams)
        if stale:
            fresh = await self._parts(store, period, stale)
            if not self._kept.keeps(streams):  # this request's own sum: the kept one stays as it is
                kept = PerStream(dict(kept.parts), dict(kept.read_at), kept.total.copy())
            for stream, blob in fresh.items():
                if kept.read_at.get(stream, -1) > began:
                    continue  # another request swapped in a part read later, meanwhile
                held = kept.parts.get(stream)
                kept.total.swap(held, blob, through, await self._changed(store, period, stream, held, blob))
                kept.parts[stream], kept.read_at[stream] = blob, began
            self._kept.resized(key, kept, size_of(kept))
        return kept.total.merged  # type: ignore[no-any-return]

    def doc(self, store: str, period: str) -> "asyncio.Future[Merged]":
        """The period's document of `store`, added up over the streams (read once per request)."""
        key = (store, period)
        if key not in self._reading:
            self._reading[key] = asyncio.ensure_future(self._read(store, period))
        return self._reading[key]

    async def flows(self, kinds: list[str], start: date, end: date) -> Rows:
        """Counter rows of `kinds` over [start, end], dated by month (several rows may share a key:
        callers add them up): the month-to-date documents of the months covered in part (the last
        day's less the day's before the first), the monthly totals of those covered whole."""
        parts, whole = split_period(start, end)
        plus, minus = [], []
        for lo, hi in parts:
            plus.append(self.doc("days", hi.isoformat()))
            if lo.day > 1:
                minus.append(self.doc("days", (lo - timedelta(days=1)).isoformat()))
        if whole:
            plus += [self.doc("months", month) for month in months_between(*whole)]
        docs = await asyncio.gather(*plus, *minus)
        rows: Rows = []
        for i, merged in enumerate(docs):
            sign = 1 if i < len(plus) else -1
            for kind in kinds:
                for dated in merged.get(kind, {}).values():
                    rows.extend(dated.values() if sign == 1 else [(key, -n) for key, n in dated.values()])
        return rows

    async def standing_at_end_of(self, day: date, kind: str = Kind.OPEN) -> Standing:
        """The dossiers open at the end of `day`, by agency, procedure and open state (with
        `Kind.UNCOLLECTED`: the results not collected then, state "-"): the nets up to its month
        (through its month when `day` ends it), plus its month's running total up to `day` otherwise."""
        ends_month = (day + timedelta(days=1)).day == 1
        standing = Counter(await self._standing_before(kind, day.isoformat()[:7], ends_month))
        if not ends_month:
            merged = await self.doc("days", day.isoformat())
            _tally(standing, merged.get(kind, {}).values())
        return standing

    async def _standing_before(self, kind: str, month: str, through: bool) -> Standing:
        """The yearly nets before `month`'s year and the monthly nets of its year before `month` (and
        of `month` itself when `through`): the same for every day of the month, so kept once."""
        key = ("standing", kind, month, through)
        found = self._kept.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        year = month[:4]
        years, months = await asyncio.gather(self.doc("open_years", ""), self.doc("open_months", year))
        chosen = [rows for dated, rows in years.get(kind, {}).items() if dated < year]
        chosen += [
            rows for dated, rows in months.get(kind, {}).items() if dated < month or (through and dated == month)
        ]
        standing: Standing = Counter()
        _tally(standing, chosen)
        self._kept.put(key, standing, len(standing) + 1, await self.streams())
        return standing


def _tally(standing: Standing, counters: Iterable[Dated]) -> None:
    """Add the counters up by (agency, procedure, dim): the stored row's last three (a standing is
    added up again after each claim that may change it: dict look-ups, not the Counter's)."""
    get = standing.get
    for dated in counters:
        for row, (_, n) in dated.items():
            by = row[2:]
            standing[by] = get(by, 0) + n
