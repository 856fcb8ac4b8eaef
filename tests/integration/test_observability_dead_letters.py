"""A poison record on the real broker: counted as a dead letter, and its `.dlq` record carries the trace
of the publish that brought it, so an operator can follow it from the dead-letter topic back."""

import asyncio
import json

from aiokafka import AIOKafkaConsumer
from motcua_shared.consuming import subscribe_events
from motcua_shared.events import DOSSIER_EVENT_TYPES, DossierEvent
from motcua_shared.kafka import make_broker, publish_event, publish_record
from motcua_shared.observability.tracing import tracer
from motcua_shared.topics import Topics, dead_letter_topic
from prometheus_client import REGISTRY
from support import samples
from support.infrastructure import Infrastructure
from support.tracing import in_memory_spans

spans = in_memory_spans()


async def test_a_dead_letter_is_counted_and_keeps_the_trace_of_its_publish(
    infrastructure: Infrastructure, topics: Topics, run_id: str
) -> None:
    topic = topics.prefix + "observed-dlq-test"
    group = f"dlq-{run_id}"
    good = samples.dossier_events()[0]
    bad = json.loads(good.to_bytes())
    bad["data"]["channel"] = "carrier-pigeon"
    applied = asyncio.Event()

    async def handle(event: DossierEvent) -> None:
        applied.set()

    def consumed(event_type: str, outcome: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "motcua_events_consumed_total",
                {"topic": topic, "group": group, "event_type": event_type, "outcome": outcome},
            )
            or 0.0
        )

    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    subscribe_events(broker, topic, group_id=group, expect=DOSSIER_EVENT_TYPES, handle=handle)
    async with broker:
        await broker.start()
        with tracer().start_as_current_span("integrator upload") as upload:
            await publish_record(
                broker, json.dumps(bad).encode(), topic=topic, key=good.dossier_id.encode(), headers={}
            )
            await publish_event(broker, good, topic=topic, key=good.dossier_id)
        await asyncio.wait_for(applied.wait(), 60)

    assert consumed("invalid", "dead_lettered") == 1
    assert consumed(good.event_type, "applied") == 1
    assert REGISTRY.get_sample_value("motcua_dead_letters_total", {"topic": topic, "group": group}) == 1
    assert REGISTRY.get_sample_value("motcua_consumer_lag", {"topic": topic, "partition": "0", "group": group}) == 0

    dlq = AIOKafkaConsumer(
        dead_letter_topic(topic), bootstrap_servers=infrastructure.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await dlq.start()
    try:
        record = await asyncio.wait_for(dlq.getone(), 30)
    finally:
        await dlq.stop()
    headers = {k: v.decode() for k, v in record.headers}
    assert headers["dlq-field"] == "data.channel"
    assert headers["traceparent"].split("-")[1] == format(upload.get_span_context().trace_id, "032x")
