"""Bulk inserts for a whole batch, "once" still decided by each document's unique `_id`."""

import asyncio
from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000
# On FerretDB the same documents in commands of this size, in flight together (the client's pool
# bounds them), went in 2-3 times faster than in one command (docs/performance.md, issue 16).
CHUNK = 100


async def insert_new(collection: AsyncCollection[Any], documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert `documents` with unordered insert_many commands; a document whose `_id` is already
    there is left as it was (a redelivered batch). Returns those documents: the ones not inserted."""
    chunks = [documents[first : first + CHUNK] for first in range(0, len(documents), CHUNK)]
    there = await asyncio.gather(*(_insert_chunk(collection, chunk) for chunk in chunks))
    return [document for found in there for document in found]


async def _insert_chunk(collection: AsyncCollection[Any], documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        await collection.insert_many(list(documents), ordered=False)
    except BulkWriteError as error:
        failures = error.details.get("writeErrors", [])
        if error.details.get("writeConcernErrors") or any(f.get("code") != DUPLICATE_KEY for f in failures):
            raise
        return [documents[f["index"]] for f in failures]
    return []
