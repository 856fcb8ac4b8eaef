"""What reports read, kept in the process between requests for as long as nothing has changed.

On FerretDB every read costs a few milliseconds, whatever its size, and a summary reads some thirty
counter documents (a few per stream, adapters/counters.py) and the catalogue: that alone was beyond
a 20 ms answer (issue 16). So each writer marks what it changed, *after* writing it, with a fresh
random token in `reporting_meta`:

    {_id: "changed|<prefix>|p0", token: "9f2c…"}        after each claim of stream p0 (Counters.apply_claim)
    {_id: "changed|<prefix>|catalogue", token: "…"}    after each catalogue event (CatalogueStore.apply)

A stream's document also keeps, as one JSON text, what its last LOG claims changed: the first day
changed in each month (`log`: [[token, {"2025-03": "2025-03-06"}], ...]). A request reads
`reporting_meta` whole (the active generation and these few documents, one read it made anyway); for
each stream whose token moved since the process last looked, the log says which kept values the
claims since may have changed (the days of the month from its first changed day, the month, the open
states' year and the yearly nets, the standings from that month on: all of them when the log does not
reach back that far). A period's sum over the streams is kept with each stream's part (`PerStream`):
such a mark makes only that stream's parts stale, and the next request reads that stream's documents
alone; other values it hits are dropped. The process counts the marks it has taken in (`tick`); a
part is stale when a mark hitting it came after the tick it was read at, and a value read while marks
came in takes them (the last MARKS are remembered; one read before those is not kept). A token is
replaced after the write it marks, so a value read after the old token is at least as new as that
token; a request that read older tokens than the process has seen uses what is kept (newer) but keeps
nothing. A stream read without a token (written before this change) keeps what is read from it out of
the process. The list of streams is read again only when the tokens name one it lacks: a new stream
is read from its first claim's end.
"""

import json
import uuid
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .handover import HANDOVER
from .read_models import META, ReadModels

CATALOGUE = "catalogue"
FRONTIER = "frontier"  # {_id: "frontier|<prefix>|<stream>", "2025-12": "2025-12-02", ...}: MonthToDate's
LOG = 32  # claims a stream's document remembers the changes of
MARKS = 256  # change marks the process remembers (a value read before the oldest is not kept)
_SEPARATOR = "|"

Changes = dict[str, str]  # month "YYYY-MM" -> the first day changed in it
Log = list[tuple[str, Changes]]  # (token, what that claim changed), oldest first


def changed_id(prefix: str, what: str) -> str:
    return f"changed{_SEPARATOR}{prefix}{_SEPARATOR}{what}"


def changes_of(key_ids: Iterable[str]) -> Changes:
    """The first day changed in each month, from counter key ids (CounterKey.id: a JSON list whose
    second item is the day; the kind before it has no comma)."""
    first: Changes = {}
    for key_id in key_ids:
        day = key_id.split(",", 2)[1].strip(' "')
        month = day[:7]
        if day < first.get(month, "9999"):
            first[month] = day
    return first


_written: dict[tuple[str, str], tuple[str, Log]] = {}  # (database, id) -> this process's last mark


async def mark_changed(models: ReadModels, what: str, changes: Changes | None = None) -> tuple[str, bool]:
    """After a write: `what` (a stream, or CATALOGUE) of this generation has changed (`changes`: the
    first day changed in each month). The last writer's log is remembered, so a mark is one update
    unless another writer marked since. (No upsert: on FerretDB two at once may both insert.)
    Returns the new token, and whether this mark followed this process's own last one (nobody else
    marked in between: handover.py)."""
    meta, doc_id = models.db[META], changed_id(models.prefix, what)
    token = uuid.uuid4().hex
    mine = _written.get((models.db.name, doc_id))
    if mine is not None:
        log = [*mine[1], (token, changes or {})][-LOG:]
        done = await meta.update_one({"_id": doc_id, "token": mine[0]}, {"$set": _fields(token, log)})
        if done.matched_count:
            _written[(models.db.name, doc_id)] = (token, log)
            return token, True
    found = await meta.find_one({"_id": doc_id})
    log = [*(_log_of(found) if found else []), (token, changes or {})][-LOG:]
    if found is not None:
        await meta.update_one({"_id": doc_id}, {"$set": _fields(token, log)})
    else:
        try:
            await meta.insert_one({"_id": doc_id, **_fields(token, log)})
        except DuplicateKeyError:  # another writer's first mark, just now: a fresh one still follows this write
            log = [(token, {})]
            await meta.update_one({"_id": doc_id}, {"$set": _fields(token, log)})
    _written[(models.db.name, doc_id)] = (token, log)
    return token, False


def _fields(token: str, log: Log) -> dict[str, Any]:
    return {"token": token, "log": json.dumps(log, separators=(",", ":"))}


def _log_of(doc: Mapping[str, Any]) -> Log:
    return _decoded(str(doc.get("log") or "[]"))


def _decoded(text: str) -> Log:
    return [(str(t), dict(c)) for t, c in json.loads(text)]


@dataclass(frozen=True)
class Version:
    """The tokens of one generation when a request began: stream (or CATALOGUE) -> (token, its log as
    stored, decoded only when a request needs it: `ProcessCache.advance`); and each stream's day-document
    frontier, if it has one (month -> the last day with a document: counter_store.MonthToDate)."""

    tokens: dict[str, tuple[str, str]]
    frontiers: dict[str, dict[str, str]] = field(default_factory=dict)

    def covers(self, streams: Iterable[str]) -> bool:
        return all(stream in self.tokens for stream in streams)


def versions_of(meta: list[dict[str, Any]], prefix: str) -> Version:
    """The version of the generation with `prefix`, from every document of `reporting_meta`."""
    tokens: dict[str, tuple[str, str]] = {}
    frontiers: dict[str, dict[str, str]] = {}
    for doc in meta:
        parts = str(doc["_id"]).split(_SEPARATOR)
        if len(parts) == 3 and parts[0] == "changed" and parts[1] == prefix and "token" in doc:
            tokens[parts[2]] = (str(doc["token"]), str(doc.get("log") or "[]"))
        elif len(parts) == 3 and parts[0] == FRONTIER and parts[1] == prefix:
            frontiers[parts[2]] = {str(k): str(v) for k, v in doc.items() if k != "_id"}
    return Version(tokens, frontiers)


def _affected(key: Any, changes: Changes) -> bool:
    """Whether a kept value may have changed with a claim that changed `changes` (read_cache keys:
    (store, period) of adapters/counter_reads.py, ("standing", kind, month, through), (CATALOGUE,))."""
    store = key[0]
    if store == "days":
        month = key[1][:7]
        return month in changes and key[1] >= changes[month]
    if store == "months":
        return key[1] in changes
    if store == "open_months":
        return any(month[:4] == key[1] for month in changes)
    if store == "standing":
        return any(month <= key[2] for month in changes)
    return store != CATALOGUE and bool(changes)  # the yearly nets (changed by any claim)


Mark = tuple[int, str, Changes | None]  # (tick, stream or CATALOGUE, what changed; None: anything)


def _hit(key: Any, what: str, changes: Changes | None) -> bool:
    """Whether the kept value under `key` may have changed with a mark of `what`."""
    if what == CATALOGUE or key[0] == CATALOGUE:
        return what == CATALOGUE and key[0] == CATALOGUE
    return changes is None or _affected(key, changes)


def _union(logs: Iterable[Changes]) -> Changes:
    """Several claims' changes as one (the first day changed in each month, over them all)."""
    first: Changes = {}
    for changes in logs:
        for month, day in changes.items():
            first[month] = min(day, first.get(month, day))
    return first


@dataclass
class PerStream:
    """A period's value added up over the streams, each stream's part kept (as its stored blob) with
    the tick it was read at: a change mark of one stream makes only that stream's part stale (`stale_at`
    beyond `read_at`), so the next request reads that stream's document alone and swaps its part
    (adapters/counter_reads.py does the adding up)."""

    parts: dict[str, bytes | None]  # stream -> its document's rows as stored (None: no document)
    read_at: dict[str, int]  # stream -> the generation's tick when its part was read
    total: Any  # the parts added up
    stale_at: dict[str, int] = field(default_factory=dict)  # stream -> tick of its last mark hitting this

    def stale(self, streams: Iterable[str]) -> list[str]:
        """The streams whose part is missing or may be older than a change marked since it was read."""
        return [s for s in streams if s not in self.read_at or self.stale_at.get(s, -1) > self.read_at[s]]


@dataclass
class _Generation:
    entries: OrderedDict[Any, tuple[Any, int]] = field(default_factory=OrderedDict)  # least recent first
    size: int = 0
    seen: dict[str, str] = field(default_factory=dict)  # stream (or CATALOGUE) -> token last seen
    tokens_before: dict[str, set[str]] = field(default_factory=dict)  # tokens of the log last seen
    tick: int = 0  # one more for each change mark the process has taken in
    marks: deque[Mark] = field(default_factory=lambda: deque(maxlen=MARKS))  # the last ones, oldest first

    def evict(self, limit: int) -> None:
        """The least recently used days first (a span's ends, read again the least), then any."""
        for only_days in (True, False):
            for key in [k for k in self.entries if not only_days or k[0] == "days"]:
                if self.size <= limit or len(self.entries) == 1:
                    return
                self.size -= self.entries.pop(key)[1]

    def mark(self, what: str, changes: Changes | None) -> None:
        """A change of `what`: the parts of `what` in kept sums become stale, other values it hits go."""
        self.tick += 1
        self.marks.append((self.tick, what, changes))
        for key, (value, size) in list(self.entries.items()):
            if _hit(key, what, changes):
                if isinstance(value, PerStream):
                    value.stale_at[what] = self.tick
                else:
                    del self.entries[key]
                    self.size -= size

    def marks_since(self, tick: int) -> list[Mark] | None:
        """The marks after `tick`, or None when they are no longer all remembered."""
        if tick < self.tick - len(self.marks):
            return None
        return [m for m in self.marks if m[0] > tick]


class ProcessCache:
    """Per database and generation, the values kept and the tokens they hold for; beyond `max_size`
    (counter rows), the least recently used day documents are dropped first, then any."""

    def __init__(self, max_size: int = 150_000) -> None:  # about 35 MB
        self.max_size = max_size
        self._generations: dict[tuple[str, str], _Generation] = {}
        # The streams of each generation as last read: they only ever grow, and a new one is marked
        # (has a token) once its first claim is written, which is when a request must read it.
        self.streams: dict[tuple[str, str], list[str]] = {}

    def advance(self, where: tuple[str, str], version: Version) -> bool:
        """Bring what is kept up to `version` (marking what the claims since may have changed);
        False when `version` is older than what was seen (that request keeps nothing)."""
        generation = self._generations.setdefault(where, _Generation())
        if any(what not in version.tokens for what in generation.seen):  # a token gone: a dropped generation
            generation = self._generations[where] = _Generation()
        older = False
        for what, (token, text) in version.tokens.items():
            seen = generation.seen.get(what)
            if seen == token:
                continue
            if token in generation.tokens_before.get(what, ()):
                older = True  # this request read the tokens before a change the process has seen
                continue
            log = _decoded(text)
            tokens = [t for t, _ in log]
            if what == CATALOGUE:
                generation.mark(what, None)
            elif seen is not None and seen in tokens:
                generation.mark(what, _union(changes for _, changes in log[tokens.index(seen) + 1 :]))
            else:  # a stream new to this process (kept values do not hold it), or too many claims since
                generation.mark(what, None)
            generation.seen[what] = token
            generation.tokens_before[what] = set(tokens[:-1])
        return not older

    def tick(self, where: tuple[str, str]) -> int:
        generation = self._generations.get(where)
        return generation.tick if generation is not None else 0

    def get(self, where: tuple[str, str], key: Any) -> Any | None:
        generation = self._generations.get(where)
        if generation is None or key not in generation.entries:
            return None
        generation.entries.move_to_end(key)
        return generation.entries[key][0]

    def put(self, where: tuple[str, str], key: Any, value: Any, size: int, since: int) -> bool:
        """Keep `value`, read at tick `since`: the marks taken in meanwhile still apply to it (a sum's
        parts become stale; another value hit is not kept, nor any when they are not all remembered)."""
        generation = self._generations.setdefault(where, _Generation())
        marks = generation.marks_since(since)
        if marks is None:
            return False
        for tick, what, changes in marks:
            if _hit(key, what, changes):
                if not isinstance(value, PerStream):
                    return False
                value.stale_at[what] = tick
        old = generation.entries.pop(key, None)
        generation.size += size - (old[1] if old else 0)
        generation.entries[key] = (value, size)
        if generation.size > self.max_size:
            generation.evict(self.max_size)
        return True

    def resize(self, where: tuple[str, str], key: Any, value: Any, size: int) -> None:
        """`value`, kept under `key`, changed in place and now holds `size` rows."""
        generation = self._generations.get(where)
        if generation is not None and key in generation.entries and generation.entries[key][0] is value:
            generation.size += size - generation.entries[key][1]
            generation.entries[key] = (value, size)
            if generation.size > self.max_size:
                generation.evict(self.max_size)

    def clear(self) -> None:
        self._generations.clear()
        self.streams.clear()
        HANDOVER.clear()  # what the fold handed over is kept too: cleared, every read goes to the store


CACHE = ProcessCache()


@dataclass
class Kept:
    """One request's view of the process cache: its generation and version. Every value it reads is
    remembered for the rest of the request (so the same document is read once); what the process
    kept is used when the request's version is not older than the process's, and what it reads is
    kept when the version is the process's (not older) and every stream it read from has a token."""

    models: ReadModels
    version: Version | None  # None: read everything afresh
    cache: ProcessCache = field(default_factory=lambda: CACHE)
    _request: dict[Any, Any] = field(default_factory=dict)
    _fresh: bool = False
    _began: int = 0  # the generation's tick once this request's version was taken in

    def __post_init__(self) -> None:
        self._fresh = self.version is not None and self.cache.advance(self._where, self.version)
        self._began = self.tick()

    @property
    def _where(self) -> tuple[str, str]:
        return (self.models.db.name, self.models.prefix)

    def tick(self) -> int:
        """Now, in the process's count of change marks: a read begun now is at least this new."""
        return self.cache.tick(self._where)

    def streams(self) -> list[str] | None:
        """The streams as the process last read them, if they include every stream the version names."""
        known = self.cache.streams.get(self._where)
        if self.version is None or known is None:
            return None
        marked = {what for what in self.version.tokens if what != CATALOGUE}
        return known if marked <= set(known) else None

    def keep_streams(self, streams: list[str]) -> None:
        self.cache.streams[self._where] = streams

    def get(self, key: Any) -> Any | None:
        if key in self._request:
            return self._request[key]
        if self.version is None:
            return None
        return self.cache.get(self._where, key)

    def keeps(self, streams: Iterable[str]) -> bool:
        """Whether what this request reads from `streams` may be kept by the process (each has a token)."""
        return self._fresh and self.version is not None and self.version.covers(streams)

    def put(self, key: Any, value: Any, size: int, streams: Iterable[str], since: int | None = None) -> None:
        """`streams`: what the value was read from (streams, or CATALOGUE), each of which must have a
        token; `since`: the tick its reads began at (by default: when this request began)."""
        self._request[key] = value
        if self.keeps(streams):
            self.cache.put(self._where, key, value, size, self._began if since is None else since)

    def resized(self, key: Any, value: Any, size: int) -> None:
        self.cache.resize(self._where, key, value, size)


async def read_meta(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    """Every document of `reporting_meta`: the active generation and the change tokens (a few)."""
    return await db[META].find({}).to_list(None)
