"""Every event type of the contract goes through the real broker and comes back equal."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from motcua_shared.events import (
    CATALOG_EVENT_TYPES,
    DOSSIER_EVENT_TYPES,
    NOTIFICATION_EVENT_TYPES,
    parse_event,
)
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from support import samples
from support.infrastructure import Infrastructure


async def _read_all(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(values) < count:
                batch = await consumer.getmany(timeout_ms=500)
                values += [record.value for records in batch.values() for record in records]
    finally:
        await consumer.stop()
    return values


async def test_every_event_type_round_trips_through_the_broker(infrastructure: Infrastructure, topics: Topics) -> None:
    sent = {
        topics.dossier_events: (samples.dossier_events(), DOSSIER_EVENT_TYPES),
        topics.catalog_events: (samples.catalog_events(), CATALOG_EVENT_TYPES),
        topics.notification_events: (samples.notification_events(), NOTIFICATION_EVENT_TYPES),
    }
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    async with broker:
        for topic, (events, _) in sent.items():
            for event in events:
                key = getattr(event, "dossier_id", None) or str(event.event_id)
                await broker.publish(event.to_bytes(), topic=topic, key=key.encode())

    for topic, (events, expected_types) in sent.items():
        values = await _read_all(infrastructure.kafka_bootstrap_servers, topic, len(events))
        received = {e.event_id: e for e in (parse_event(v, expect=expected_types) for v in values)}
        assert received == {e.event_id: e for e in events}


async def test_events_of_one_dossier_keep_their_order(infrastructure: Infrastructure, topics: Topics) -> None:
    """Keyed by dossier id, a dossier's events land in one partition, in the order published."""
    events = samples.dossier_events()
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    async with broker:
        for event in events:
            await broker.publish(event.to_bytes(), topic=topics.dossier_events + ".dlq", key=event.dossier_id.encode())
    values = await _read_all(infrastructure.kafka_bootstrap_servers, topics.dossier_events + ".dlq", len(events))
    assert [parse_event(v).event_id for v in values] == [e.event_id for e in events]


def test_round_trip_fails_when_the_broker_is_unreachable(infrastructure: Infrastructure) -> None:
    """No silent skip: pointed at a closed port, the round-trip test fails."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "MONGODB_URL": infrastructure.mongodb_url}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__)}::test_every_event_type_round_trips_through_the_broker",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode != 0, result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
    assert "1 failed" in result.stdout or "1 error" in result.stdout, result.stdout[-2000:]
