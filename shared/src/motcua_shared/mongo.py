"""Factory for PyMongo's async client (the official successor of the deprecated motor)."""

from typing import Any

from pymongo import AsyncMongoClient


def make_mongo_client(url: str, *, app_name: str = "motcua", **options: Any) -> AsyncMongoClient[Any]:
    """An AsyncMongoClient that stores timezone-aware datetimes and fails fast when the store is away."""
    options.setdefault("serverSelectionTimeoutMS", 5_000)
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, **options)
