"""Notification's fold rate: events per second notification's consumer group reads from
`dossier.events` (recording the deliveries each calls for), next to the raw insert_many rate of the
same store measured in the same run.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URL=mongodb://127.0.0.1:37017 \
        uv run python bench/notification_fold_rate.py --dossiers 1000

Generates `--dossiers` histories (motcua_stack.histories) and folds them twice, each time on topics
(prefix bench-<id>-<kind>., 3 partitions) and a database of its own, with notification started in
this process (its lifespan: store, broker, consumers; the dispatcher off, so only deciding and
recording is timed, not sending):

- `historical`: the events as generated (2024-2025), as an import brings them: older than the
  freshness window, they notify nobody, and notification only learns each dossier's applicant;
- `fresh`: the same events restamped to the last minutes, in their order: each is decided (the
  applicant by email and SMS, the agency's contacts, which the benchmark sets for every agency of
  the catalogue, and one webhook subscription to every event type) and its deliveries recorded.

Each is timed from notification's start until its group has committed every offset of both topics
(`caught up s`), and from its first commit on (`events/s after it`: joining the group left out).
The store's commands are counted on the way (a pymongo command listener): round trips per event, by
command. Then inserts as many ~1.5 kB documents as there were events with insert_many (chunks of
1,000) into a scratch collection: the fastest way to write to this store. `--profile FILE` writes a
cProfile of the fresh fold. The databases are dropped afterwards; the topics are left.
"""

import argparse
import asyncio
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from _fold import fold_progress, left_to_fold, measured, raw_insert_rate
from _load import machine_line, ratio_line, table
from aiokafka import AIOKafkaProducer
from motcua_notification.adapters.directory import Directory
from motcua_notification.adapters.subscriptions import SubscriptionStore
from motcua_notification.bootstrap import create_app
from motcua_notification.config import Settings
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack.histories import catalogue_events, catalogue_key, generate_histories, read_catalogue
from motcua_stack.topics import ensure_topics


def restamped(history: list[ev.DossierEvent], at: datetime) -> list[ev.DossierEvent]:
    """The history as if it all happened just now, a millisecond apart, in its order."""
    return [e.model_copy(update={"occurred_at": at + timedelta(milliseconds=i)}) for i, e in enumerate(history)]


async def publish(bootstrap: str, topics: Topics, catalogue: list[ev.Envelope], events: list[ev.DossierEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        sent = [
            await producer.send(topics.catalog_events, e.to_bytes(), key=catalogue_key(e).encode()) for e in catalogue
        ]
        sent += [await producer.send(topics.dossier_events, e.to_bytes(), key=e.dossier_id.encode()) for e in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def fold_time(settings: Settings, bootstrap: str, topics: Topics, patience: float) -> tuple[float, float]:
    """Seconds from notification's start until its group has committed the end of both topics, and
    until its first commit (joining the group, which two consumers do one after the other)."""
    async with fold_progress(bootstrap, topics) as (admin, ends):
        app = create_app(settings)
        total = sum(ends.values())
        first_commit: float | None = None
        began = time.perf_counter()
        async with app.router.lifespan_context(app):
            while (left := await left_to_fold(admin, ends, settings.consumer_group)) > 0:
                if first_commit is None and left < total:
                    first_commit = time.perf_counter() - began
                if time.perf_counter() - began > patience:
                    raise SystemExit(f"notification did not catch up within {patience:.0f} s")
                await asyncio.sleep(0.2)
            done = time.perf_counter() - began
            return done, first_commit if first_commit is not None else done


# ~1.5 kB, like a delivery.
RAW_DOCUMENT = {
    "body": "Hồ sơ UBND-HT-240105-0001 đã được tiếp nhận. " * 25,
    "recipient": "a@example.vn",
    "status": "pending",
}


@dataclass
class Fold:
    kind: str
    events: int
    seconds: float
    first_commit_s: float
    deliveries: int
    commands: Counter[str]
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def folding_rate(self) -> float:
        """Events per second once folding began (the group joined): the start-up left out."""
        return self.events / max(self.seconds - self.first_commit_s, 1e-3)


async def fold(args: argparse.Namespace, kind: str, events: list[ev.DossierEvent], run: str) -> Fold:
    """Publish `events` on topics of their own, then time notification's catch-up on a database of its own."""
    catalogue = read_catalogue()
    topics = Topics(f"bench-{run}-{kind}.")
    await ensure_topics(args.kafka, topics, 3)
    await publish(
        args.kafka, topics, catalogue_events(catalogue, occurred_at=datetime(2023, 1, 1, tzinfo=PROVINCE_TZ)), events
    )
    database = f"bench_notification_{run}_{kind}"
    settings = Settings(
        kafka_bootstrap_servers=args.kafka,
        mongodb_url=args.mongodb_url,
        mongodb_database=database,
        topic_prefix=topics.prefix,
        consumer_group=f"bench-notification-{run}-{kind}",
        dispatcher_enabled=False,
    )
    mongo = make_mongo_client(args.mongodb_url)
    try:
        db = mongo[database]
        directory = Directory(db)
        for agency in catalogue["agencies"]:
            code = agency["agency_code"]
            await directory.set_contacts(code, [f"motcua.{code.lower()}@example.vn"], "vi", by="bench")
        await SubscriptionStore(db).create("http://127.0.0.1:9/hook", ["*"], None, by="bench")
        (seconds, first_commit_s), counted, cpu_s = await measured(
            fold_time(settings, args.kafka, topics, args.patience), profile=args.profile if kind == "fresh" else None
        )
        deliveries = await db["deliveries"].count_documents({})
    finally:
        await mongo.drop_database(database)
        await mongo.close()
    return Fold(kind, len(events), seconds, first_commit_s, deliveries, counted, cpu_s)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patience", type=float, default=900.0)
    parser.add_argument("--kinds", default="historical,fresh", help="which folds to run (comma-separated)")
    parser.add_argument("--profile", help="write a cProfile of the fresh fold to this file")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    histories = generate_histories(
        args.seed, args.dossiers, date(2024, 1, 1), date(2026, 1, 1), read_catalogue(), calendar=load_calendar()
    )
    now = datetime.now(UTC) - timedelta(minutes=5)
    made = {
        "historical": lambda: [e for h in histories for e in h],
        "fresh": lambda: [e for h in histories for e in restamped(h, now)],
    }
    print(machine_line(args.mongodb_url))
    folds = [await fold(args, kind, made[kind](), run) for kind in args.kinds.split(",")]
    events = max(f.events for f in folds)
    raw = await raw_insert_rate(args.mongodb_url, f"bench_notification_{run}_raw", events, RAW_DOCUMENT)
    await make_mongo_client(args.mongodb_url).drop_database(f"bench_notification_{run}_raw")
    rows = [
        [
            f.kind,
            str(args.dossiers),
            str(f.events),
            str(f.deliveries),
            f"{f.seconds:.1f}",
            f"{f.rate:.0f}",
            f"{f.first_commit_s:.1f}",
            f"{f.folding_rate:.0f}",
            f"{sum(f.commands.values()) / f.events:.2f}",
            f"{1000 * f.cpu_s / f.events:.2f}",
        ]
        for f in folds
    ]
    header = [
        "fold",
        "dossiers",
        "events",
        "deliveries",
        "caught up s",
        "events/s",
        "first commit s",
        "events/s after it",
        "store cmds/event",
        "CPU ms/event",
    ]
    print(table(header, rows))
    print(f"raw insert_many of the same store: {raw:.0f} docs/s")
    for f in folds:
        print(ratio_line(f"notification {f.kind} fold events/s / raw insert docs/s", round(f.rate), round(raw)))
        print(
            ratio_line(
                f"notification {f.kind} fold events/s after the first commit / raw insert docs/s",
                round(f.folding_rate),
                round(raw),
            )
        )
        by_name = ", ".join(f"{n} {c / f.events:.2f}" for n, c in f.commands.most_common())
        print(f"store commands per event ({f.kind}): {by_name}")
    print(machine_line(args.mongodb_url))


if __name__ == "__main__":
    asyncio.run(main())
