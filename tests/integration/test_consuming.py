"""The shared consumer: typed events to the handler, bad records to the dead-letter topic."""

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError
from motcua_shared.consuming import DLQ_FIELD, DLQ_REASON, rewind, subscribe_event_batches, subscribe_events
from motcua_shared.events import DOSSIER_EVENT_TYPES, DossierEvent
from motcua_shared.kafka import make_broker
from motcua_shared.publishing import RecentlyPublished
from motcua_shared.topics import Topics, dead_letter_topic
from support import samples
from support.infrastructure import Infrastructure


async def test_a_poison_record_is_dead_lettered_and_the_next_one_processed(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    topic = topics.prefix + "consuming-test"
    good = samples.dossier_events()[:2]
    bad = json.loads(good[0].to_bytes())
    bad["data"]["channel"] = "carrier-pigeon"
    seen: list[DossierEvent] = []
    failures = {"left": 1}
    done = asyncio.Event()

    async def handle(event: DossierEvent) -> None:
        if event.event_id == good[1].event_id and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("store away")  # must be delivered again, not lost
        seen.append(event)
        if len(seen) == 2:
            done.set()

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_events(broker, topic, group_id=f"g-{run_id}", expect=DOSSIER_EVENT_TYPES, handle=handle, retry_pause=0.1)
    async with broker:
        await broker.start()
        key = good[0].dossier_id.encode()
        await broker.publish(good[0].to_bytes(), topic=topic, key=key)
        await broker.publish(json.dumps(bad).encode(), topic=topic, key=key)
        await broker.publish(good[1].to_bytes(), topic=topic, key=key)
        await asyncio.wait_for(done.wait(), 60)

    assert [e.event_id for e in seen] == [good[0].event_id, good[1].event_id]

    dlq = AIOKafkaConsumer(
        dead_letter_topic(topic), bootstrap_servers=infrastructure.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await dlq.start()
    try:
        record = await asyncio.wait_for(dlq.getone(), 30)
    finally:
        await dlq.stop()
    headers = {k: v.decode() for k, v in record.headers}
    assert headers[DLQ_FIELD] == "data.channel"
    assert "direct" in headers[DLQ_REASON]
    assert json.loads(record.value) == bad


async def test_an_event_the_handler_always_fails_on_is_dead_lettered_but_an_absent_store_is_waited_for(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    topic = topics.prefix + "poison-handler-test"
    first, poison, last = samples.dossier_events()[:3]
    seen: list[DossierEvent] = []
    store_away = {"left": 6}  # more failures than max_attempts: an outage is not a poison event
    done = asyncio.Event()

    async def handle(event: DossierEvent) -> None:
        if event.event_id == poison.event_id:
            raise ValueError("a bug this event trips every time")
        if event.event_id == last.event_id and store_away["left"]:
            store_away["left"] -= 1
            raise ServerSelectionTimeoutError("store away")
        seen.append(event)
        if len(seen) == 2:
            done.set()

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_events(
        broker,
        topic,
        group_id=f"g-{run_id}",
        expect=DOSSIER_EVENT_TYPES,
        handle=handle,
        retry_pause=0.05,
        max_attempts=3,
    )
    async with broker:
        await broker.start()
        key = first.dossier_id.encode()
        for event in (first, poison, last):
            await broker.publish(event.to_bytes(), topic=topic, key=key)
        await asyncio.wait_for(done.wait(), 60)

    assert [e.event_id for e in seen] == [first.event_id, last.event_id] and store_away["left"] == 0
    dlq = AIOKafkaConsumer(
        dead_letter_topic(topic), bootstrap_servers=infrastructure.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await dlq.start()
    try:
        records = await dlq.getmany(timeout_ms=5000)
    finally:
        await dlq.stop()
    dead = [r for batch in records.values() for r in batch]
    assert [json.loads(r.value)["event_id"] for r in dead] == [str(poison.event_id)]
    reason = dict((k, v.decode()) for k, v in dead[0].headers)[DLQ_REASON]
    assert "failed 3 times" in reason and "a bug this event trips" in reason


async def test_json_nested_too_deep_or_bad_json_labelled_json_is_dead_lettered_not_redelivered_for_ever(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    """FastStream's own decoder would choke on these before the handler (found by tests/e2e/test_fault_poison.py)."""
    from aiokafka import AIOKafkaProducer

    topic = topics.prefix + "consuming-hostile"
    good = samples.dossier_events()[0]
    hostile = [(b"[" * 100_000 + b"]" * 100_000, []), (b"{not json", [("content-type", b"application/json")])]
    seen: list[DossierEvent] = []
    done = asyncio.Event()

    async def handle(event: DossierEvent) -> None:
        seen.append(event)
        done.set()

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_events(
        broker, topic, group_id=f"g-{run_id}-hostile", expect=DOSSIER_EVENT_TYPES, handle=handle, retry_pause=0.1
    )
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value, headers in [*hostile, (good.to_bytes(), [])]:
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
    finally:
        await producer.stop()
    async with broker:
        await broker.start()
        await asyncio.wait_for(done.wait(), 60)
    assert [e.event_id for e in seen] == [good.event_id]

    dlq = AIOKafkaConsumer(
        dead_letter_topic(topic), bootstrap_servers=infrastructure.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await dlq.start()
    try:
        records = [await asyncio.wait_for(dlq.getone(), 30) for _ in hostile]
    finally:
        await dlq.stop()
    assert [r.value for r in records] == [value for value, _ in hostile]
    assert all("not UTF-8 JSON" in dict(r.headers)[DLQ_REASON].decode() for r in records)


async def test_records_that_reach_the_broker_while_a_batch_is_handled_come_together_in_the_next_batch(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    """aiokafka fetches a partition again only once its buffered records are taken: without the top-up,
    of three records published while a batch is handled the first would come in the next batch and the
    other two in the one after (issue 16: twice the time to visible at a steady rate)."""
    topic = topics.prefix + "top-up-test"  # its own: other tests read the contract's topics from the start
    first, *later = samples.dossier_events()[:4]
    batches: list[list[int]] = []
    handling, release, all_in = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handle_batch(by_partition: dict[int, list[tuple[int, Any]]]) -> None:
        batches.append([offset for records in by_partition.values() for offset, _ in records])
        handling.set()
        if len(batches) == 1:
            await release.wait()
        if sum(map(len, batches)) == 4:
            all_in.set()

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_event_batches(
        broker,
        topic,
        group_id=f"g-{run_id}-top-up",
        expect=DOSSIER_EVENT_TYPES,
        handle_batch=handle_batch,
        max_records=100,
        batch_timeout_ms=25,
        top_up_ms=2_000,  # a loaded test machine's fetch round trip, with room to spare
    )
    key = b"one-partition"  # one partition: a partition with buffered records is not fetched
    async with broker:
        await broker.start()
        await broker.publish(first.to_bytes(), topic=topic, key=key)
        await asyncio.wait_for(handling.wait(), 60)
        await broker.publish(later[0].to_bytes(), topic=topic, key=key)
        await asyncio.sleep(1.0)  # the fetch in flight returns it: buffered while the first batch is handled
        for event in later[1:]:
            await broker.publish(event.to_bytes(), topic=topic, key=key)
        await asyncio.sleep(1.0)
        release.set()
        await asyncio.wait_for(all_in.wait(), 60)

    assert [len(batch) for batch in batches] == [1, 3]


def test_a_failed_batch_rewinds_every_partition_its_top_up_reached() -> None:
    """FastStream rewinds the partitions of the records it handed over; the top-up's own go back too,
    to their earliest record, or a failed batch's topped-up records would be committed unhandled."""

    class Consumer:
        def __init__(self) -> None:
            self.seeks: list[tuple[TopicPartition, int]] = []

        def seek(self, partition: TopicPartition, offset: int) -> None:
            if partition.partition == 1:
                raise IllegalStateError("No current assignment for partition")  # revoked meanwhile
            self.seeks.append((partition, offset))

    consumer = Consumer()
    topped_up = [SimpleNamespace(topic="t", partition=p, offset=o) for p, o in [(2, 7), (1, 3), (0, 5), (2, 8), (0, 4)]]
    rewind(consumer, topped_up)
    assert sorted(consumer.seeks) == [(TopicPartition("t", 0), 4), (TopicPartition("t", 2), 7)]


async def test_a_batch_consumer_takes_back_what_this_process_published_without_parsing_it(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    topic = topics.prefix + "consuming-recall"
    ours, theirs = samples.dossier_events()[:2]
    recent = RecentlyPublished()
    recent.remember(ours.to_bytes(), ours)
    folded: list[Any] = []
    done = asyncio.Event()

    async def handle_batch(by_partition: dict[int, list[tuple[int, Any]]]) -> None:
        folded.extend(event for records in by_partition.values() for _, event in records)
        if len(folded) == 2:
            done.set()

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_event_batches(
        broker,
        topic,
        group_id=f"g-{run_id}-recall",
        expect=DOSSIER_EVENT_TYPES,
        handle_batch=handle_batch,
        max_records=100,
        batch_timeout_ms=25,
        recall=recent.recall,
    )
    async with broker:
        await broker.start()
        key = ours.dossier_id.encode()
        await broker.publish(ours.to_bytes(), topic=topic, key=key)
        await broker.publish(theirs.to_bytes(), topic=topic, key=key)
        await asyncio.wait_for(done.wait(), 60)

    assert folded[0] is ours  # the very event published here, not a parse of it
    assert folded[1] == theirs and folded[1] is not theirs  # another's: parsed
    assert recent.recall(ours.to_bytes()) is None  # taken back once


def test_only_the_latest_published_events_are_remembered() -> None:
    recent = RecentlyPublished(kept=2)
    events = samples.dossier_events()[:3]
    for event in events:
        recent.remember(event.to_bytes(), event)
    assert recent.recall(events[0].to_bytes()) is None
    assert recent.recall(events[2].to_bytes()) is events[2]
