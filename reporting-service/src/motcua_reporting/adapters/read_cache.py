"""What reports read, kept in the process between requests for as long as nothing has changed.

On FerretDB every read costs a few milliseconds, whatever its size, and a summary reads some thirty
counter documents (a few per stream, adapters/counters.py) and the catalogue: that alone was beyond
a 20 ms answer (issue 16). So each writer marks what it changed, *after* writing it, with a fresh
random token in `reporting_meta`:

    {_id: "changed|<prefix>|p0", token: "9f2c…"}        after each claim of stream p0 (Counters.apply_claim)
    {_id: "changed|<prefix>|catalogue", token: "…"}    after each catalogue event (CatalogueStore.apply)

A request reads `reporting_meta` whole (the active generation and these few tokens, one read it made
anyway), and the tokens of the active generation are the *version* of everything it may read: what
the process keeps is used only by requests that read the same version. A token is replaced after the
write it marks, so a request that read the old token and then newer data keeps the newer data under
the old version, which no request uses once the new token is there. A stream registered without a
token (written before this change, or its first claim still running) leaves its generation uncached:
`Kept.complete` says whether every stream has one.
"""

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .read_models import META, ReadModels

CATALOGUE = "catalogue"
_SEPARATOR = "|"


def changed_id(prefix: str, what: str) -> str:
    return f"changed{_SEPARATOR}{prefix}{_SEPARATOR}{what}"


async def mark_changed(models: ReadModels, what: str) -> None:
    """After a write: `what` (a stream, or CATALOGUE) of this generation has changed. (No upsert: on
    FerretDB two at once may both insert, and one fails; the catalogue's partitions mark together.)"""
    meta, key = models.db[META], {"_id": changed_id(models.prefix, what)}
    if (await meta.update_one(key, {"$set": {"token": uuid.uuid4().hex}})).matched_count:
        return
    try:
        await meta.insert_one({**key, "token": uuid.uuid4().hex})
    except DuplicateKeyError:  # another writer's first mark, just now: this one must still follow its write
        await meta.update_one(key, {"$set": {"token": uuid.uuid4().hex}})


@dataclass(frozen=True)
class Version:
    """The tokens of one generation when a request began: stream (or CATALOGUE) -> token."""

    tokens: tuple[tuple[str, str], ...]

    def covers(self, streams: Iterable[str]) -> bool:
        marked = {what for what, _ in self.tokens}
        return all(stream in marked for stream in streams)


def versions_of(meta: list[dict[str, Any]], prefix: str) -> Version:
    """The version of the generation with `prefix`, from every document of `reporting_meta`."""
    tokens = []
    for doc in meta:
        parts = str(doc["_id"]).split(_SEPARATOR)
        if len(parts) == 3 and parts[0] == "changed" and parts[1] == prefix and "token" in doc:
            tokens.append((parts[2], str(doc["token"])))
    return Version(tuple(sorted(tokens)))


@dataclass
class _Generation:
    version: Version
    entries: OrderedDict[Any, tuple[Any, int]] = field(default_factory=OrderedDict)  # least recent first
    size: int = 0


class ProcessCache:
    """Per database and generation, the entries of one version (an older version's are dropped when a
    newer one is seen), the least recently used evicted beyond `max_size` (counter rows)."""

    def __init__(self, max_size: int = 150_000) -> None:  # about 35 MB
        self.max_size = max_size
        self._generations: dict[tuple[str, str], _Generation] = {}

    def get(self, where: tuple[str, str], version: Version, key: Any) -> Any | None:
        generation = self._generations.get(where)
        if generation is None or generation.version != version or key not in generation.entries:
            return None
        generation.entries.move_to_end(key)
        return generation.entries[key][0]

    def put(self, where: tuple[str, str], version: Version, key: Any, value: Any, size: int) -> None:
        generation = self._generations.get(where)
        if generation is None or generation.version != version:
            # Tokens are never reused, so a version other than the one kept is newer, or one a
            # request read just before a change (then it is dropped again by the next request).
            generation = self._generations[where] = _Generation(version)
        old = generation.entries.pop(key, None)
        generation.size += size - (old[1] if old else 0)
        generation.entries[key] = (value, size)
        while generation.size > self.max_size and len(generation.entries) > 1:
            _, (_, dropped) = generation.entries.popitem(last=False)
            generation.size -= dropped

    def clear(self) -> None:
        self._generations.clear()


CACHE = ProcessCache()


@dataclass
class Kept:
    """One request's view of the process cache: its generation and version; every value it reads is
    also remembered for the rest of the request (so the same document is read once), and kept in the
    process when `complete` (every stream it read had a token)."""

    models: ReadModels
    version: Version | None  # None: read everything afresh
    cache: ProcessCache = field(default_factory=lambda: CACHE)
    _request: dict[Any, Any] = field(default_factory=dict)

    @property
    def _where(self) -> tuple[str, str]:
        return (self.models.db.name, self.models.prefix)

    def get(self, key: Any) -> Any | None:
        if key in self._request:
            return self._request[key]
        if self.version is None:
            return None
        return self.cache.get(self._where, self.version, key)

    def put(self, key: Any, value: Any, size: int, streams: Iterable[str]) -> None:
        """`streams`: what the value was read from (streams, or CATALOGUE), each of which must have a token."""
        self._request[key] = value
        if self.version is not None and self.version.covers(streams):
            self.cache.put(self._where, self.version, key, value, size)


async def read_meta(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    """Every document of `reporting_meta`: the active generation and the change tokens (a few)."""
    return await db[META].find({}).to_list(None)
