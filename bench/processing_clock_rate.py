"""Processing's clock: overdue announcements per second when many dossiers go overdue on the same
working minute, the sweep as it is (chunks of dossiers) beside one dossier at a time (the sweep before
issue 16), measured in the same run on the same store and broker.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URL=mongodb://127.0.0.1:37017 \
        uv run python bench/processing_clock_rate.py --dossiers 300

For each way, folds `--dossiers` accepted dossiers whose due time has passed into a database of its
own (apply_many), then times one `Clock.tick()` against the real store and broker (a topic of its own,
3 partitions), counting the store's commands (a pymongo command listener). Checks every dossier was
announced once. The databases are dropped afterwards; the topic is left.
"""

import argparse
import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from motcua_processing.adapters.announcements import AnnouncementStore
from motcua_processing.adapters.dossier_store import DossierStore
from motcua_processing.adapters.publishing import EventPublisher
from motcua_processing.service_layer.clock import Clock
from motcua_processing.service_layer.unit import Processing
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.catalogue import CatalogueStore
from motcua_shared.mongo import make_mongo_client
from motcua_shared.publishing import EventPublisher as SharedPublisher
from motcua_shared.publishing import make_publishing_broker
from motcua_shared.topics import Topics
from pymongo import monitoring

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=PROVINCE_TZ)  # a Monday, 08:00


class CommandCount(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class Fresh:
    async def wait_folded(self, topic: str, *, key: str | None, within: float) -> int | None:
        return 0


async def one_at_a_time(clock: Clock, wanted: list[tuple[str, str]], now: datetime) -> list[ev.DossierEvent]:
    """The sweep before issue 16: each dossier read, claimed, published, folded and marked in turn."""
    published = []
    for dossier_id, kind in wanted:
        dossier = await clock.processing.dossiers.get(dossier_id)
        event = clock._event(dossier, kind, now) if dossier else None
        if event is None or not await clock.announcements.claim(event, kind):
            continue
        await clock.processing.publisher.publish(event)
        await clock.processing.dossiers.apply(event)
        await clock.announcements.mark_published(str(event.event_id))
        published.append(event)
    return published


def overdue_histories(count: int) -> list[ev.DossierEvent]:
    events: list[ev.DossierEvent] = []
    for n in range(count):
        common: dict[str, Any] = {"source": "intake-service", "dossier_id": f"bench-{n}"}
        events.append(
            ev.DossierSubmitted(
                event_id=uuid.uuid4(),
                occurred_at=NOW - timedelta(days=30),
                data=ev.SubmittedData(
                    dossier_code=f"STNMT-250201-{n:05d}",
                    procedure_code="1.004227",
                    agency_code="STNMT",
                    channel=ev.Channel.ONLINE,
                    applicant=ev.Applicant(full_name="Nguyễn Văn An", id_number="001085012345", phone="0912345678"),
                ),
                **common,
            )
        )
        events.append(
            ev.DossierAccepted(
                event_id=uuid.uuid4(),
                occurred_at=NOW - timedelta(days=29),
                data=ev.AcceptedData(due_at=NOW - timedelta(minutes=1)),
                **{**common, "source": "processing-service"},
            )
        )
    return events


async def sweep(
    args: argparse.Namespace, topic: str, publisher: SharedPublisher, commands: CommandCount, batched: bool
) -> tuple[float, int]:
    database = f"bench_clock_{uuid.uuid4().hex[:8]}"
    mongo = make_mongo_client(args.mongodb_url)
    calendar = load_calendar()
    try:
        db = mongo[database]
        dossiers = DossierStore(db, calendar, source="processing-service")
        await dossiers.ensure_indexes()
        await dossiers.apply_many(overdue_histories(args.dossiers))
        processing = Processing(
            source="processing-service",
            topics=Topics(""),
            dossiers=dossiers,
            catalogue=CatalogueStore(db, today=lambda: NOW.date()),
            publisher=EventPublisher(publisher, topic),
            calendar=calendar,
            freshness=Fresh(),
            now=lambda: NOW,
        )
        clock = Clock(processing, AnnouncementStore(db, lease=timedelta(minutes=5)), due_soon_ahead=timedelta(hours=8))
        if not batched:
            clock._announce_chunk = lambda wanted, now: one_at_a_time(clock, wanted, now)  # type: ignore[method-assign]
        counted = commands.count
        began = time.perf_counter()
        published = await clock.tick()
        took = time.perf_counter() - began
        assert len({e.dossier_id for e in published}) == len(published) == args.dossiers, len(published)
        return took, commands.count - counted
    finally:
        await mongo.drop_database(database)
        await mongo.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    args = parser.parse_args()
    topic = f"bench-clock-{uuid.uuid4().hex[:8]}.dossier.events"
    admin = AIOKafkaAdminClient(bootstrap_servers=args.kafka)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    commands = CommandCount()
    monitoring.register(commands)  # before the clients: a listener hears the clients made after it
    broker = make_publishing_broker(args.kafka, client_id="bench-clock", request_timeout_ms=10_000)
    await broker.start()
    try:
        publisher = SharedPublisher(broker, args.kafka, timeout=30)
        rows = [
            (name, await sweep(args, topic, publisher, commands, batched))
            for name, batched in (("one at a time", False), ("chunks", True))
        ]
    finally:
        await broker.stop()
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; {args.dossiers} dossiers overdue")
    print(f"{'sweep':>14} {'s':>7} {'announcements/s':>16} {'store commands/announcement':>28}")
    for name, (took, commands) in rows:
        rate = Decimal(args.dossiers) / Decimal(took)
        print(f"{name:>14} {took:>7.1f} {rate:>16.1f} {commands / args.dossiers:>28.1f}")
    print(f"ratio chunks / one at a time: {rows[0][1][0] / rows[1][1][0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
