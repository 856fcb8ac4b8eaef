"""The limit on update statements in flight (motcua_shared.mongo): however many bulk writes a process
runs at once, FerretDB never holds more backend connections for their statements than the limit."""

import asyncio
from typing import Any

import pytest
from motcua_shared import mongo


class _SlowCollection:
    """Records how many update statements are in flight across every bulk write it is given."""

    def __init__(self) -> None:
        self.in_flight = self.most = self.commands = 0
        self.largest = 0

    async def bulk_write(self, writes: list[Any], *, ordered: bool) -> None:
        assert not ordered
        self.in_flight += len(writes)
        self.most = max(self.most, self.in_flight)
        self.largest = max(self.largest, len(writes))
        self.commands += 1
        await asyncio.sleep(0.001)
        self.in_flight -= len(writes)


async def test_concurrent_bulk_writes_stay_under_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_STORE_UPDATES_IN_FLIGHT", "12")
    collection = _SlowCollection()
    await asyncio.gather(
        *(
            mongo.bulk_write_in_chunks(collection, list(range(100)))  # type: ignore[arg-type]
            for _ in range(20)
        )
    )
    assert collection.most == 12  # the limit reached, never passed
    assert collection.largest == 6  # commands of half the limit, so two can overlap
    assert collection.commands == 20 * 17  # 100 writes in chunks of 6
    assert mongo.UPDATE_STATEMENTS.held() == 0


def test_every_client_has_a_bounded_pool() -> None:
    client = mongo.make_mongo_client("mongodb://127.0.0.1:1", max_pool_size=7)
    assert client.options.pool_options.max_pool_size == 7
    assert mongo.make_mongo_client("mongodb://127.0.0.1:1").options.pool_options.max_pool_size == 10
