"""The MongoDB-protocol store (mongod or FerretDB) round trip the services rely on."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


async def test_a_document_round_trips_with_an_aware_datetime(mongo_db: AsyncDatabase[Any]) -> None:
    due_at = datetime(2020, 1, 20, 10, 0, tzinfo=UTC)
    await mongo_db.dossiers.insert_one(
        {"_id": "d1", "code": "STNMT-200106-0001", "due_at": due_at, "applicant": {"full_name": "Trần Thị Bình"}}
    )
    found = await mongo_db.dossiers.find_one({"_id": "d1"})
    assert found is not None
    assert found["due_at"] == due_at
    assert found["applicant"]["full_name"] == "Trần Thị Bình"


async def test_a_unique_index_refuses_a_duplicate(mongo_db: AsyncDatabase[Any]) -> None:
    """Idempotency comes from the data model: a processed event_id cannot be recorded twice."""
    await mongo_db.processed_events.create_index("event_id", unique=True)
    await mongo_db.processed_events.insert_one({"event_id": "7d1c3f0e"})
    with pytest.raises(DuplicateKeyError):
        await mongo_db.processed_events.insert_one({"event_id": "7d1c3f0e"})
    assert await mongo_db.processed_events.count_documents({}) == 1


async def test_an_atomic_counter_gives_distinct_numbers(mongo_db: AsyncDatabase[Any]) -> None:
    """find_one_and_update with $inc, the basis of per-agency daily dossier codes."""
    from pymongo import ReturnDocument

    numbers = []
    for _ in range(5):
        doc = await mongo_db.counters.find_one_and_update(
            {"_id": "STNMT-200106"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        numbers.append(doc["seq"])
    assert numbers == [1, 2, 3, 4, 5]
