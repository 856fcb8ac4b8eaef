"""`motcua-reporting rebuild`: the read models again, from offset zero of the topics.

1. a fresh generation of collections is filled from catalog.events then dossier.events, each read
   from its first offset to the end offsets seen at the start (no consumer group: nothing is
   committed); each partition of dossier.events is folded in order, in batches (claims, with bulk
   writes), the partitions side by side; every partition's chain of claims begins at its first offset;
2. the generation becomes active (the API reads it at once, running consumers within `generation_ttl`);
3. after a pause longer than that TTL, a catch-up pass reads both topics again up to their new ends,
   so an event folded by a running consumer into the old generation during the rebuild is not lost.
   A running consumer that has moved to the new generation and this pass may reach the same records:
   the claims (adapters/claims.py) let exactly one of them fold each; a consumer that is ahead waits
   for this pass to fold the positions before its own.
Old generations are left in place (drop them once nothing reads them).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_shared import events as ev
from motcua_shared.mongo import make_mongo_client

from ..adapters.read_models import ReadModels, activate_generation
from ..config import Settings
from .folds import Projections, fold_dossier_records, stream_of

log = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    generation: str
    events: dict[str, int] = field(default_factory=dict)
    skipped_invalid: int = 0


async def replay_topic(
    bootstrap: str,
    topic: str,
    fold: Callable[[int, list[Any]], Awaitable[None]],
    *,
    start: dict[int, int] | None = None,
    begin: Callable[[int, int], Awaitable[None]] | None = None,
    claim_records: int = 2000,
) -> dict[int, int]:
    """Hand `topic`'s records, from `start` offsets (default: the first ones) to its current end, to
    `fold(partition, records)` in batches of `claim_records`, each partition's in order, partitions
    side by side; the end offsets reached. `begin(partition, first offset)` is called first when given."""
    # No long poll: the first fetch of each replay waited out the broker's full 500 ms (the default
    # fetch_max_wait_ms; it seems sent before our seek, at the log's end): twice per rebuild, a third
    # of a rebuild of 1,000 dossiers (measured, issue 16). A replay stops at the ends, never waits.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, topic)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        firsts = await consumer.beginning_offsets(tps)
        for tp in tps:
            if begin is not None:
                await begin(tp.partition, firsts[tp])
            consumer.seek(tp, max((start or {}).get(tp.partition, 0), firsts[tp]))
        remaining = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        pending: dict[TopicPartition, list[Any]] = {tp: [] for tp in tps}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=claim_records)
            for tp, records in batch.items():
                pending[tp].extend(r for r in records if r.offset < ends[tp])
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
            # A partition's records go in claims of `claim_records` (its last one shorter): every
            # counter document is written once per claim, so the fewer claims the fewer writes.
            ready = [tp for tp in tps if len(pending[tp]) >= claim_records or (pending[tp] and tp not in remaining)]
            await asyncio.gather(*(fold(tp.partition, pending.pop(tp)) for tp in ready))
            pending.update({tp: [] for tp in ready})
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


def _parse(record: Any, expect: tuple[type[ev.Envelope], ...], report: RebuildReport) -> Any:
    report.events[record.topic] = report.events.get(record.topic, 0) + 1
    try:
        return ev.parse_event(record.value or b"", expect=expect)
    except ev.EventValidationError:
        report.skipped_invalid += 1  # the live consumer dead-lettered it already
        return None


async def rebuild(
    settings: Settings, *, generation: str | None = None, catch_up_pause: float | None = None
) -> RebuildReport:
    """Rebuild the read models into a fresh generation and make it active."""
    generation = generation or "r" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    report = RebuildReport(generation)
    mongo = make_mongo_client(
        settings.mongodb_url, max_pool_size=settings.mongodb_max_pool_size, app_name=f"{settings.service_name}-rebuild"
    )
    try:
        db = mongo[settings.mongodb_database]
        models = ReadModels(db, generation)
        await models.drop()
        await models.ensure_indexes()
        projections = Projections.of(models, settings)
        topics = settings.topics
        ends: dict[str, dict[int, int]] = {}

        async def fold_catalogue(partition: int, records: list[Any]) -> None:
            parsed = (_parse(record, ev.CATALOG_EVENT_TYPES, report) for record in records)
            await projections.catalogue.apply_all([event for event in parsed if event is not None])

        async def fold_dossiers(partition: int, records: list[Any]) -> None:
            if records:
                await fold_dossier_records(
                    projections, {partition: [(r.offset, _parse(r, ev.DOSSIER_EVENT_TYPES, report)) for r in records]}
                )

        async def begin(partition: int, first: int) -> None:
            await projections.dossiers.begin(stream_of(partition), first)

        async def pass_over_topics(first: bool) -> None:
            kafka = settings.kafka_bootstrap_servers
            ends[topics.catalog_events] = await replay_topic(
                kafka, topics.catalog_events, fold_catalogue, start=ends.get(topics.catalog_events)
            )
            ends[topics.dossier_events] = await replay_topic(
                kafka,
                topics.dossier_events,
                fold_dossiers,
                start=ends.get(topics.dossier_events),
                begin=begin if first else None,
                claim_records=settings.rebuild_claim_records,
            )

        await pass_over_topics(True)
        await activate_generation(db, generation)
        await asyncio.sleep(settings.generation_ttl_seconds * 2 if catch_up_pause is None else catch_up_pause)
        await pass_over_topics(False)
        log.info("rebuilt generation %s: %s", generation, report.events)
        return report
    finally:
        await mongo.close()
