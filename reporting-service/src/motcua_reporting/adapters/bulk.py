"""The two bulk writes the folds make, shaped for the store's cheap primitive (issue 16): a batch of
inserts is one command per thousand documents (about 18,000 documents/s on FerretDB, where an update
costs many times an insert), and updates go in the bounded commands motcua_shared.mongo allows in
flight, side by side."""

import asyncio
from collections.abc import Sequence
from typing import Any

from motcua_shared.mongo import UPDATE_STATEMENTS, bulk_chunk
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

INSERTS_PER_COMMAND = 250  # a few commands in flight: the store works on more than one core
DUPLICATE_KEY = 11000
COMMANDS_IN_FLIGHT = 8


async def insert_new(collection: AsyncCollection[Any], documents: Sequence[dict[str, Any]]) -> list[int]:
    """Insert the documents (unordered); the indexes of those whose `_id` was taken already (nothing is
    written for them). Any other write error is raised."""
    taken: list[int] = []

    async def chunk(first: int) -> None:
        try:
            await collection.insert_many(documents[first : first + INSERTS_PER_COMMAND], ordered=False)
        except BulkWriteError as error:
            failures = error.details.get("writeErrors", [])
            if any(f.get("code") != DUPLICATE_KEY for f in failures):
                raise
            taken.extend(first + int(f["index"]) for f in failures)

    await asyncio.gather(*(chunk(i) for i in range(0, len(documents), INSERTS_PER_COMMAND)))
    return sorted(taken)


async def update_all(collection: AsyncCollection[Any], writes: Sequence[Any]) -> int:
    """Unordered bulk updates in bounded commands under the process's limit on update statements in
    flight, spread over up to COMMANDS_IN_FLIGHT commands (a command's statements run one after the
    other in the store; side by side they use its other connections); the documents they matched."""
    size = max(1, min(bulk_chunk(), -(-len(writes) // COMMANDS_IN_FLIGHT)))

    async def chunk(first: int) -> int:
        part = list(writes[first : first + size])
        async with UPDATE_STATEMENTS.take(len(part)):
            result = await collection.bulk_write(part, ordered=False)
        return result.matched_count

    return sum(await asyncio.gather(*(chunk(i) for i in range(0, len(writes), size))))
