"""Factory for PyMongo's async client (the official successor of the deprecated motor)."""

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection


def make_mongo_client(url: str, *, app_name: str = "motcua", **options: Any) -> AsyncMongoClient[Any]:
    """An AsyncMongoClient that stores timezone-aware datetimes and fails fast when the store is away."""
    options.setdefault("serverSelectionTimeoutMS", 5_000)
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, **options)


BULK_CHUNK = 50  # FerretDB 1.24 (SQLite) stops answering an update command of a hundred or so updates


async def bulk_write_in_chunks(collection: AsyncCollection[Any], writes: Sequence[Any]) -> None:
    """Unordered bulk writes, BULK_CHUNK operations per command."""
    for first in range(0, len(writes), BULK_CHUNK):
        await collection.bulk_write(list(writes[first:first + BULK_CHUNK]), ordered=False)
