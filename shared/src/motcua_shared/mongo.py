"""Factory for PyMongo's async client (the official successor of the deprecated motor), and the limit on
update statements in flight that keeps FerretDB from stalling.

FerretDB 1.24 holds one backend connection for every update statement of a command until the whole
command ends, and one for every open cursor; when they reach its pool it stops answering for good. So a
process never holds more than `maxPoolSize` commands (each client's pool) plus `updates_in_flight()` update
statements of bulk writes (this module's limiter, shared by every client of the process), and reads
are read to the end before anything is written. The native stack sizes FerretDB's pool from these two
numbers (motcua_stack.sizes)."""

import asyncio
import itertools
import os
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

DEFAULT_MAX_POOL_SIZE = 10


def make_mongo_client(
    url: str, *, max_pool_size: int = DEFAULT_MAX_POOL_SIZE, app_name: str = "motcua", **options: Any
) -> AsyncMongoClient[Any]:
    """An AsyncMongoClient with a bounded pool that stores timezone-aware datetimes and fails fast when
    the store is away."""
    options.setdefault("serverSelectionTimeoutMS", 5_000)
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, maxPoolSize=max_pool_size, **options)


def updates_in_flight() -> int:
    """MOTCUA_STORE_UPDATES_IN_FLIGHT (default 32): update statements of bulk writes one process has in flight."""
    return int(os.environ.get("MOTCUA_STORE_UPDATES_IN_FLIGHT", "32"))


def bulk_chunk() -> int:
    """Operations per bulk-write command: half the limit, so two commands of a process can overlap."""
    return max(1, updates_in_flight() // 2)


class _StatementLimit:
    """A weighted semaphore per event loop: `async with limit.take(n)` holds n of the process's slots."""

    def __init__(self) -> None:
        self._in_use: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]] = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def take(self, count: int) -> AsyncIterator[None]:
        capacity = updates_in_flight()
        count = min(count, capacity)
        state = self._in_use.setdefault(asyncio.get_running_loop(), [0, asyncio.Condition()])
        condition: asyncio.Condition = state[1]
        async with condition:
            await condition.wait_for(lambda: state[0] + count <= capacity)
            state[0] += count
        try:
            yield
        finally:
            async with condition:
                state[0] -= count
                condition.notify_all()

    def held(self) -> int:
        """Slots in use on the running loop (for tests)."""
        state = self._in_use.get(asyncio.get_running_loop())
        return state[0] if state else 0


UPDATE_STATEMENTS = _StatementLimit()


async def find_by_ids(collection: AsyncCollection[Any], ids: Sequence[Any]) -> dict[Any, dict[str, Any]]:
    """The documents with these `_id`s, by id. FerretDB 1.24 does not push `{_id: {$in: [...]}}` down to
    its backend (a whole-collection scan: 1.6 s for 100 ids among 50,000 documents, measured), while a
    lookup by `_id` is served by an index (about 1 ms); so one lookup per id, in flight together (at
    most `maxPoolSize` at once). On MongoDB this costs a round trip per id, a few milliseconds a batch."""
    found = await asyncio.gather(*(collection.find_one({"_id": i}) for i in dict.fromkeys(ids)))
    return {doc["_id"]: doc for doc in found if doc is not None}


async def find_each(
    collection: AsyncCollection[Any],
    each: Mapping[str, Sequence[Any]],
    query: Mapping[str, Any],
    *,
    sort: Sequence[tuple[str, int]] | None = None,
    limit: int = 0,
) -> list[dict[str, Any]]:
    """The documents matching `query` whose every field of `each` holds one of its values, as
    `{field: {"$in": values}}` would find them: in `sort` order, at most `limit` (0: all). FerretDB
    1.24 serves an equality from an index but scans the whole collection for `$in` (8,000 dossiers:
    1,009 ms against 22 ms, docs/performance.md), so one equality query per combination of values, in
    flight together (at most `maxPoolSize` at once), each sorted and limited by the store, merged here
    in the store's order. For a few values; on MongoDB a round trip each."""
    order = list(sort) if sort else None
    combinations = itertools.product(*(dict.fromkeys(values) for values in each.values()))
    parts = await asyncio.gather(
        *(
            collection.find({**query, **dict(zip(each, values, strict=True))}, sort=order, limit=limit).to_list()
            for values in combinations
        )
    )
    found = [doc for part in parts for doc in part]
    for key, direction in reversed(sort or ()):  # stable: the last key first, the first key last
        found.sort(key=lambda doc: _store_order(doc.get(key)), reverse=direction < 0)
    return found[:limit] if limit else found


def _store_order(value: Any) -> tuple[int, Any]:
    """A sort key that orders values as the store does (BSON's order of types): a missing value or
    null first, then numbers, strings, booleans, dates; values of one type among themselves (the
    other types, which motcua does not sort on, only by type)."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):  # before int: a bool is an int in Python, not in BSON
        return (4, value)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, datetime):
        return (5, value)
    return (3, 0)


async def bulk_write_in_chunks(collection: AsyncCollection[Any], writes: Sequence[Any]) -> None:
    """Unordered bulk writes in bounded commands, under the process's limit on update statements in flight."""
    size = bulk_chunk()
    for first in range(0, len(writes), size):
        chunk = list(writes[first : first + size])
        async with UPDATE_STATEMENTS.take(len(chunk)):
            await collection.bulk_write(chunk, ordered=False)


async def insert_once(collection: AsyncCollection[Any], document: dict[str, Any]) -> bool:
    """Insert `document` under its `_id`; False, with nothing written, when a document with that `_id` is
    already there. The one way motcua decides "once" (a claim, a turn, a record of an event seen): on
    FerretDB `$inc` and findAndModify are not atomic, a unique `_id` is."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True
