"""Two writers on the same records, on the real store (FerretDB, whose conditional updates and $inc are
not atomic under concurrency): two reporting instances that both fold a partition during a rebalance,
a rebuild's catch-up beside a live consumer, two tools folding without Kafka. Every event counts once:
the counters and the dossiers equal a fold by one writer alone."""

import asyncio
import random
from datetime import date
from typing import Any

from motcua_reporting.adapters.counters import Counters
from motcua_reporting.adapters.dossier_store import DossierProjection, Record
from motcua_reporting.adapters.read_models import ReadModels
from motcua_shared import events as ev
from motcua_shared.calendar import load_calendar
from motcua_stack.histories import generate_histories, read_catalogue
from pymongo.asynchronous.database import AsyncDatabase

CALENDAR = load_calendar()


def partition_records(seed: int, dossiers: int) -> list[Record]:
    """One partition's records: generated histories interleaved, some events twice (a producer retry)."""
    histories = generate_histories(
        seed, dossiers, date(2025, 1, 1), date(2025, 7, 1), read_catalogue(), calendar=CALENDAR
    )
    rng = random.Random(seed)
    queues = [list(h) for h in histories]
    events: list[ev.DossierEvent] = []
    while queues:
        queue = rng.choice(queues)
        events.append(queue.pop(0))
        if rng.random() < 0.05:
            events.append(events[-1])
        if not queue:
            queues.remove(queue)
    return list(enumerate(events))


async def snapshot(models: ReadModels) -> tuple[dict[str, int], dict[str, list[str]]]:
    counters = await Counters(models).totals()
    applied = {d["_id"]: sorted(d["applied"]) async for d in models.dossiers.find({}, {"applied": 1})}
    return counters, applied


async def alone(db: AsyncDatabase[Any], records: list[Record]) -> tuple[dict[str, int], dict[str, list[str]]]:
    models = ReadModels(db, "alone")
    await models.ensure_indexes()
    await DossierProjection(models).fold("p0", records)
    return await snapshot(models)


def batches(records: list[Record], size: int, start: int = 0) -> list[list[Record]]:
    return [records[i : i + size] for i in range(start, len(records), size)]


async def test_two_instances_folding_one_partition_count_every_event_once(mongo_db: AsyncDatabase[Any]) -> None:
    records = partition_records(31, 120)
    expected = await alone(mongo_db, records)
    assert sum(expected[0].values()) > 0

    models = ReadModels(mongo_db, "two")
    await models.ensure_indexes()
    first, second, third = DossierProjection(models), DossierProjection(models), DossierProjection(models)

    async def consume(projection: DossierProjection, size: int, start: int) -> None:
        # As a consumer does: batch after batch from where it (re)started; a rebalance hands the
        # partition over while the other is still at work, from an older committed offset.
        for batch in batches(records, size, start):
            await projection.fold("p0", batch)

    await first.claims.begin_at("p0", 0, first.writer)  # the partition's first consumer began the chain
    await asyncio.gather(consume(first, 37, 0), consume(second, 23, 0), consume(third, 50, 200))
    assert await snapshot(models) == expected
    assert await first.unfinished() == 0


async def test_a_rebuild_catching_up_beside_a_live_consumer_counts_every_event_once(
    mongo_db: AsyncDatabase[Any],
) -> None:
    records = partition_records(32, 100)
    expected = await alone(mongo_db, records)
    models = ReadModels(mongo_db, "rebuilt")
    await models.ensure_indexes()
    rebuild, live = DossierProjection(models), DossierProjection(models)
    end = len(records) // 2
    # The rebuild's first pass, from the partition's first offset to the end it saw.
    await rebuild.claims.begin_at("p0", 0, rebuild.writer)
    for batch in batches(records[:end], 40):
        await rebuild.fold("p0", batch)
    # Switched: the live consumer (ahead of the first pass, and also behind it) and the catch-up pass.
    live_from = end + 15

    async def live_consumer() -> None:
        for batch in [records[end - 10 : end + 5], *batches(records, 30, live_from)]:
            await live.fold("p0", batch)

    async def catch_up() -> None:
        for batch in batches(records, 25, end):
            await rebuild.fold("p0", batch)

    await asyncio.gather(live_consumer(), catch_up())
    assert await snapshot(models) == expected


async def test_two_tools_folding_without_kafka_apply_each_event_once(mongo_db: AsyncDatabase[Any]) -> None:
    records = partition_records(33, 60)
    events = [e for _, e in records if e is not None]
    models = ReadModels(mongo_db, "direct")
    await models.ensure_indexes()
    one, two = DossierProjection(models), DossierProjection(models)
    halves = [events[i::2] for i in range(2)]
    await asyncio.gather(
        *(
            p.fold_events(chunk)
            for p, half in ((one, halves[0]), (two, halves[1]))
            for chunk in [half[i : i + 25] for i in range(0, len(half), 25)]
        )
    )
    await one.fold_events(events)  # and everything again
    expected = await alone(mongo_db, records)
    assert await snapshot(models) == expected
