"""Creates the contract's topics (and their .dlq twins) with the partition count the deployment
chose, before any service subscribes: a topic the broker auto-creates on first use would get the
broker's default instead, and the partition count caps how many instances of a service share work."""

import asyncio
import os
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from motcua_shared.topics import Topics


def partitions() -> int:
    """MOTCUA_PARTITIONS (default 3): at least the largest number of instances of one service."""
    return int(os.environ.get("MOTCUA_PARTITIONS", "3"))


async def ensure_topics(bootstrap_servers: str, topics: Topics, count: int | None = None) -> dict[str, int]:
    """Create every missing topic with `count` partitions and grow existing ones to `count`
    (partitions are never removed: Kafka cannot). Returns each topic's partition count."""
    count = count or partitions()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-stack")
    await admin.start()
    try:
        # Only describe topics that exist: a metadata request for an unknown topic lets a broker with
        # auto.create.topics.enable create it with its default partition count.
        present = set(await admin.list_topics())
        existing = await _partition_counts(admin, [name for name in topics.all() if name in present])
        missing = [name for name in topics.all() if name not in existing]
        if missing:
            await admin.create_topics([NewTopic(name, num_partitions=count, replication_factor=1) for name in missing])
        grow = {name: NewPartitions(count) for name, have in existing.items() if have < count}
        if grow:
            await admin.create_partitions(grow)
        # Topic metadata reaches the broker's cache a moment after creation.
        for _ in range(50):
            counts = await _partition_counts(admin, topics.all())
            if all(counts.get(name, 0) >= count for name in topics.all()):
                return counts
            await asyncio.sleep(0.2)
        return counts
    finally:
        await admin.close()


async def _partition_counts(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not names:
        return counts
    for description in await admin.describe_topics(names):
        if description.get("error_code", 0) == 0 and description.get("partitions"):
            counts[description["topic"]] = len(description["partitions"])
    return counts


async def lag(bootstrap_servers: str, group: str, names: list[str]) -> int:
    """How many records of topics `names` consumer group `group` has not yet committed (its backlog);
    partitions the group never committed count from offset zero (it starts at the earliest)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="motcua-stack")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False, client_id="motcua-stack")
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        present = set(await admin.list_topics())
        partitions = [
            TopicPartition(description["topic"], partition["partition"])
            for description in await admin.describe_topics([name for name in names if name in present])
            for partition in description.get("partitions") or ()
        ]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        behind = 0
        for partition, end in ends.items():
            done = committed.get(partition)
            behind += max(0, end - (done.offset if done is not None and done.offset >= 0 else 0))
        return behind
    finally:
        await consumer.stop()
        await admin.close()


async def wait_caught_up(
    bootstrap_servers: str,
    groups: list[str],
    names: list[str],
    *,
    patience: float = 120.0,
    progress: Callable[[int, float], None] | None = None,
    every: float = 10.0,
) -> int:
    """Wait until every group in `groups` has consumed all of `names`; the backlog left (0: caught up).
    `progress(backlog, events folded per second since the last call)` is called every `every` seconds."""
    deadline = time.monotonic() + patience
    told, told_behind = time.monotonic(), None
    while True:
        behind = sum([await lag(bootstrap_servers, group, names) for group in groups])
        if behind == 0 or time.monotonic() > deadline:
            return behind
        now = time.monotonic()
        if told_behind is None:
            told_behind = behind
        if progress is not None and now - told >= every:
            progress(behind, max(0, told_behind - behind) / (now - told))
            told, told_behind = now, behind
        await asyncio.sleep(1.0)
