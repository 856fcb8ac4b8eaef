"""`motcua-reporting rebuild`: the read models again, from offset zero of the topics.

1. a fresh generation of collections is filled from catalog.events then dossier.events, each read
   from offset zero to the end offsets seen at the start (no consumer group: nothing is committed);
2. pending counter changes are settled, the generation becomes active (the API reads it at once,
   running consumers within `generation_ttl`);
3. after a pause longer than that TTL, a catch-up pass reads both topics again up to their new ends,
   so an event folded by a running consumer into the old generation during the rebuild is not lost
   (events already applied are skipped by id).
Old generations are left in place (drop them once nothing reads them).
"""

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_shared import events as ev
from motcua_shared.mongo import make_mongo_client

from .adapters.read_models import ReadModels, activate_generation
from .config import Settings
from .consumers import SUBSCRIPTIONS, Projections

log = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    generation: str
    events: dict[str, int] = field(default_factory=dict)
    skipped_invalid: int = 0


async def replay_topic(
    bootstrap: str, topic: str, handle: Any, expect: tuple[type[ev.Envelope], ...],
    report: RebuildReport, *, start: dict[int, int] | None = None,
) -> dict[int, int]:
    """Fold `topic` from `start` offsets (default zero) to its current end; the end offsets reached.
    Events of different dossiers (keys) in a batch are folded concurrently, one key's in order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, topic)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, (start or {}).get(tp.partition, 0))
        remaining = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            by_key: dict[bytes | None, list[Any]] = defaultdict(list)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        by_key[record.key].append(record)
            await asyncio.gather(*(_fold_in_order(records, handle, expect, topic, report)
                                   for records in by_key.values()))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return {tp.partition: ends[tp] for tp in tps}
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = sorted(p["partition"] for d in described if not d.get("error_code") for p in d["partitions"])
    if not partitions:
        raise RuntimeError(f"topic {topic} does not exist")
    return partitions


async def _fold_in_order(records: list[Any], handle: Any, expect: tuple[type[ev.Envelope], ...], topic: str,
                         report: RebuildReport) -> None:
    for record in records:
        try:
            event = ev.parse_event(record.value, expect=expect)
        except ev.EventValidationError:
            report.skipped_invalid += 1  # the live consumer dead-lettered it already
            continue
        await handle(event)
        report.events[topic] = report.events.get(topic, 0) + 1


async def rebuild(settings: Settings, *, generation: str | None = None, catch_up_pause: float | None = None
                  ) -> RebuildReport:
    """Rebuild the read models into a fresh generation and make it active."""
    generation = generation or "r" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    report = RebuildReport(generation)
    mongo = make_mongo_client(settings.mongodb_url, app_name=f"{settings.service_name}-rebuild")
    try:
        db = mongo[settings.mongodb_database]
        models = ReadModels(db, generation)
        await models.drop()
        await models.ensure_indexes()
        projections = Projections.of(models)
        ends: dict[str, dict[int, int]] = {}

        async def pass_over_topics() -> None:
            for subscription in SUBSCRIPTIONS:
                topic = subscription.topic(settings.topics)

                async def handle(event: Any, handler: Any = subscription.handler) -> None:
                    await handler(projections, event)

                ends[topic] = await replay_topic(settings.kafka_bootstrap_servers, topic, handle,
                                                 subscription.expect, report, start=ends.get(topic))

        await pass_over_topics()
        await projections.dossiers.repair()
        await activate_generation(db, generation)
        await asyncio.sleep(settings.generation_ttl_seconds * 2 if catch_up_pause is None else catch_up_pause)
        await pass_over_topics()
        await projections.dossiers.repair()
        log.info("rebuilt generation %s: %s", generation, report.events)
        return report
    finally:
        await mongo.close()
