"""Processing's fold rate: events per second processing's consumer group folds from `dossier.events`
into its dossiers, next to the raw insert_many rate of the same store measured in the same run.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URL=mongodb://127.0.0.1:37017 \
        uv run python bench/processing_fold_rate.py --dossiers 1000

Publishes the catalogue and `--dossiers` generated histories (motcua_stack.histories) on topics of
its own (prefix bench-<id>., 3 partitions), then starts processing in this process (its lifespan:
store, broker, consumers; the clock off) on a database of its own and times, from the start, until
its consumer group has committed every offset of both topics. The store's commands are counted on
the way (a pymongo command listener): round trips per event, by command. Then inserts as many
~1.5 kB documents as there were events with insert_many (chunks of 1,000) into a scratch
collection: the fastest way to write to this store. `--profile FILE` writes a cProfile of the fold.
`10%-90% ev/s` is the rate while the group's progress went from a tenth to nine tenths
(start-up and the group's join left out: what a running service does not pay); the ratio is that
rate over the raw insert rate. The database is
dropped afterwards; the topics are left.
"""

import argparse
import asyncio
import os
import time
import uuid

from _fold import (
    DOSSIER_DOCUMENT,
    commands_per_event,
    fold_progress,
    left_to_fold,
    measured,
    publish,
    raw_insert_rate,
)
from _load import machine_line
from motcua_processing.bootstrap import create_app
from motcua_processing.config import Settings
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack.topics import ensure_topics


async def fold_time(settings: Settings, bootstrap: str, topics: Topics, patience: float) -> tuple[float, float | None]:
    """Seconds from processing's start until its group has committed the end of both topics; and its
    rate (events/s) while its progress went from 10% to 90% (start-up and the group's join left out)."""
    async with fold_progress(bootstrap, topics) as (admin, ends):
        total = sum(ends.values())
        app = create_app(settings)
        began = time.perf_counter()
        samples: list[tuple[float, int]] = []
        async with app.router.lifespan_context(app):
            while (left := await left_to_fold(admin, ends, settings.consumer_group)) > 0:
                samples.append((time.perf_counter() - began, left))
                if time.perf_counter() - began > patience:
                    raise SystemExit(f"processing did not catch up within {patience:.0f} s")
                await asyncio.sleep(0.1)
            done = time.perf_counter() - began
        samples.append((done, 0))
        tenth = next(t for t, left in samples if left <= 0.9 * total)
        ninth = next(t for t, left in samples if left <= 0.1 * total)
        return done, (0.8 * total / (ninth - tenth) if ninth > tenth else None)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patience", type=float, default=900.0)
    parser.add_argument("--profile", help="write a cProfile of the fold to this file")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    topics = Topics(f"bench-{run}.")
    await ensure_topics(args.kafka, topics, 3)
    events = await publish(args.kafka, topics, args.dossiers, args.seed)

    database = f"bench_fold_{run}"
    settings = Settings(
        kafka_bootstrap_servers=args.kafka,
        mongodb_url=args.mongodb_url,
        mongodb_database=database,
        topic_prefix=topics.prefix,
        consumer_group=f"bench-fold-{run}",
        scheduler_enabled=False,
    )
    mongo = make_mongo_client(args.mongodb_url)
    try:
        (fold_s, steady), folded, cpu_s = await measured(
            fold_time(settings, args.kafka, topics, args.patience), profile=args.profile
        )
        raw = await raw_insert_rate(args.mongodb_url, database, events, DOSSIER_DOCUMENT)
    finally:
        await mongo.drop_database(database)
        await mongo.close()
    rate = events / fold_s
    steady = steady or rate
    print(machine_line())
    print(
        f"{'dossiers':>9} {'events':>8} {'fold s':>7} {'fold ev/s':>10} {'10%-90% ev/s':>13} "
        f"{'raw insert docs/s':>18} {'ratio':>6}"
    )
    print(
        f"{args.dossiers:>9} {events:>8} {fold_s:>7.1f} {rate:>10.0f} {steady:>13.0f} {raw:>18.0f} {steady / raw:>6.2f}"
    )
    print("(fold s from processing's start, its group's join included; ratio = 10%-90% ev/s / raw insert docs/s)")
    print(f"store commands per event: {commands_per_event(folded, events)}")
    print(f"CPU of this process per event: {1000 * cpu_s / events:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
