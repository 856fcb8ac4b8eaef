"""What the fold-rate benchmarks (intake, processing, notification, reporting's rebuild) share: the
run's topics, the generated history published, a count of the store commands every client of the
process sends, how much a consumer group has left to commit, and the store's raw insert rate beside
which a fold is read."""

import asyncio
import cProfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack.histories import catalogue_events, catalogue_key, generate_histories, read_catalogue
from pymongo import monitoring

T = TypeVar("T")


async def publish(bootstrap: str, topics: Topics, dossiers: int, seed: int) -> int:
    """The catalogue and `dossiers` generated histories (2024-2025) on `topics`; how many dossier events."""
    catalogue = read_catalogue()
    histories = generate_histories(
        seed, dossiers, date(2024, 1, 1), date(2026, 1, 1), catalogue, calendar=load_calendar()
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sent = [
            await producer.send(topics.catalog_events, e.to_bytes(), key=catalogue_key(e).encode())
            for e in catalogue_events(catalogue, occurred_at=datetime(2023, 1, 1, tzinfo=PROVINCE_TZ))
        ]
        events = [e for h in histories for e in h]
        sent += [await producer.send(topics.dossier_events, e.to_bytes(), key=e.dossier_id.encode()) for e in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return len(events)


# ~1.5 kB, like a dossier's view: the shape processing's and intake's raw inserts write.
_FACT = {"id": "7d1c3f0e-5b7e-4f3a-9a57-1c2f1d9e8b10", "type": "accepted", "at": "2025-01-06T01:15:00+00:00"}
DOSSIER_DOCUMENT: dict[str, Any] = {"facts": [_FACT] * 7}


async def raw_insert_rate(mongodb_url: str, database: str, documents: int, document: dict[str, Any]) -> float:
    """Documents per second with insert_many (chunks of 1,000, unordered) of `documents` copies of
    `document` (the shape of what the fold writes), each under an `_id` of its own, into a fresh
    scratch collection: the fastest way to write to the store."""
    mongo = make_mongo_client(mongodb_url)
    try:
        scratch = mongo[database]["raw_insert"]
        await scratch.drop()
        began = time.perf_counter()
        for start in range(0, documents, 1000):
            await scratch.insert_many(
                [{"_id": f"raw-{i}", **document} for i in range(start, min(documents, start + 1000))], ordered=False
            )
        return documents / (time.perf_counter() - began)
    finally:
        await mongo.close()


class CommandCount(monitoring.CommandListener):
    """The store commands every client of this process sends, by name."""

    def __init__(self) -> None:
        self.by_name: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.by_name[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@asynccontextmanager
async def fold_progress(
    bootstrap: str, topics: Topics
) -> AsyncIterator[tuple[AIOKafkaAdminClient, dict[TopicPartition, int]]]:
    """An admin client to ask `left_to_fold` with, and the end offsets of the catalogue and dossier
    topics as they stand now (every partition): what a fold must commit to have caught up."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        described = await admin.describe_topics([topics.catalog_events, topics.dossier_events])
        partitions = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
        yield admin, await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
        await admin.close()


def commands_per_event(counted: Mapping[str, int], events: int) -> str:
    """The store commands counted, per event: the total, then each command, the most frequent first."""
    each = ", ".join(f"{name} {count / events:.2f}" for name, count in sorted(counted.items(), key=lambda x: -x[1]))
    return f"{sum(counted.values()) / events:.2f} ({each})"


async def measured(fold: Awaitable[T], *, profile: str | None = None) -> tuple[T, Counter[str], float]:
    """`fold` awaited; with it the store commands of every client made from now on (the fold's app
    makes its own), counted, this process's CPU seconds, and a cProfile written to `profile` if given."""
    commands = CommandCount()
    monitoring.register(commands)  # pymongo keeps listeners for good: the counts are taken once, below
    profiler = cProfile.Profile() if profile else None
    cpu_before = time.process_time()
    if profiler:
        profiler.enable()
    result = await fold
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    cpu_s = time.process_time() - cpu_before
    counted, commands.by_name = commands.by_name, Counter()
    return result, counted, cpu_s


async def left_to_fold(admin: AIOKafkaAdminClient, ends: dict[TopicPartition, int], group: str) -> int:
    """Records of `ends` (partition -> end offset) that `group` has not committed yet."""
    committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
    return sum(max(end - max(committed[tp].offset, 0) if tp in committed else end, 0) for tp, end in ends.items())
