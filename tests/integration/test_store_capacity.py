"""What the services rely on from the stack's store beyond a round trip: a lookup by `_id` or by an
indexed field costs the same in a small and a large collection (FerretDB on PostgreSQL serves its
filters from the GIN twins of its indexes), and the pattern that used to stall FerretDB for good (many
cursors open at once, with writes issued inside them) finishes within seconds."""

import asyncio
import statistics
import time
from typing import Any

from motcua_shared.mongo import make_mongo_client
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure


async def _fill(collection: AsyncCollection[Any], count: int) -> None:
    await collection.create_index("code")
    for first in range(0, count, 10_000):
        await collection.insert_many(
            [
                {"_id": f"d{i:06d}", "code": f"C-{i:06d}", "agency_code": f"A{i % 40}", "status": "processing"}
                for i in range(first, min(count, first + 10_000))
            ]
        )


async def _median_ms(collection: AsyncCollection[Any], field: str, value: str, count: int) -> float:
    """The median time of one lookup, over lookups spread across the collection."""
    times = []
    for n in range(0, count, max(1, count // 150)):
        began = time.perf_counter()
        found = await collection.find_one({field: value.format(n=n)})
        times.append(time.perf_counter() - began)
        assert found is not None and found["_id"] == f"d{n:06d}"
    return 1000 * statistics.median(times)


async def test_a_lookup_by_id_or_an_indexed_field_costs_the_same_at_1000_and_100000_documents(
    mongo_db: AsyncDatabase[Any],
) -> None:
    await _fill(mongo_db.small, 1_000)
    await _fill(mongo_db.large, 100_000)
    for field, value in (("_id", "d{n:06d}"), ("code", "C-{n:06d}")):
        small = await _median_ms(mongo_db.small, field, value, 1_000)
        large = await _median_ms(mongo_db.large, field, value, 100_000)
        print(f"find_one by {field}: {small:.2f} ms at 1,000 documents, {large:.2f} ms at 100,000")
        assert large <= 2 * max(small, 0.5), (field, small, large)  # half a millisecond: the clock's grain


async def test_many_cursors_with_writes_inside_them_finish_and_the_store_still_answers(
    infrastructure: Infrastructure,
    mongo_db: AsyncDatabase[Any],
) -> None:
    """80 tasks, each walking a cursor of small batches over its own documents and updating every one
    inside the loop: on FerretDB's default pool this stalled the store for good, ping included."""
    tasks, per_task = 80, 25
    await mongo_db.walk.insert_many(
        [{"_id": f"{t}-{n}", "task": t, "seen": False} for t in range(tasks) for n in range(per_task)]
    )
    await mongo_db.walk.create_index("task")
    client = make_mongo_client(infrastructure.mongodb_url, max_pool_size=tasks)
    walk = client[mongo_db.name].walk

    async def one(task: int) -> int:
        updated = 0
        async for doc in walk.find({"task": task}, batch_size=5):
            await walk.update_one({"_id": doc["_id"]}, {"$set": {"seen": True}})
            updated += 1
        return updated

    try:
        began = time.monotonic()
        done = await asyncio.wait_for(asyncio.gather(*(one(t) for t in range(tasks))), timeout=60)
        print(f"{tasks} cursors with writes inside: {time.monotonic() - began:.1f}s")
        assert done == [per_task] * tasks
        assert (await asyncio.wait_for(client.admin.command("ping"), timeout=5))["ok"] == 1
        assert await mongo_db.walk.count_documents({"seen": True}) == tasks * per_task
    finally:
        await client.close()
