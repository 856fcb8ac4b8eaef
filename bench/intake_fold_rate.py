"""Intake's fold rate: events per second intake's consumer group folds from `dossier.events` into its
dossier view, with the store's commands per event.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URL=mongodb://127.0.0.1:37017 \
        uv run python bench/intake_fold_rate.py --dossiers 1000

The same run as bench/processing_fold_rate.py (bench/_fold.py's publishing and raw-insert steps): the
catalogue and `--dossiers` generated histories on topics of its own (3 partitions), intake started in
this process on a database of its own, timed from its start until its group has committed the end of
both topics; then the raw insert_many rate of the same store for as many documents. The database is
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
from motcua_intake.bootstrap import create_app
from motcua_intake.config import Settings
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack.topics import ensure_topics


async def fold_time(settings: Settings, bootstrap: str, topics: Topics, patience: float) -> float:
    """Seconds from intake's start until its group has committed the end of both topics."""
    async with fold_progress(bootstrap, topics) as (admin, ends):
        app = create_app(settings)
        began = time.perf_counter()
        async with app.router.lifespan_context(app):
            while await left_to_fold(admin, ends, settings.consumer_group) > 0:
                if time.perf_counter() - began > patience:
                    raise SystemExit(f"intake did not catch up within {patience:.0f} s")
                await asyncio.sleep(0.2)
            return time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patience", type=float, default=900.0)
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    topics = Topics(f"bench-{run}.")
    await ensure_topics(args.kafka, topics, 3)
    events = await publish(args.kafka, topics, args.dossiers, args.seed)

    database = f"bench_intake_fold_{run}"
    settings = Settings(
        kafka_bootstrap_servers=args.kafka,
        mongodb_url=args.mongodb_url,
        mongodb_database=database,
        topic_prefix=topics.prefix,
        consumer_group=f"bench-intake-fold-{run}",
    )
    mongo = make_mongo_client(args.mongodb_url)
    try:
        fold_s, folded, cpu_s = await measured(fold_time(settings, args.kafka, topics, args.patience))
        raw = await raw_insert_rate(args.mongodb_url, database, events, DOSSIER_DOCUMENT)
    finally:
        await mongo.drop_database(database)
        await mongo.close()
    rate = events / fold_s
    print(machine_line())
    print(f"{'dossiers':>9} {'events':>8} {'fold s':>7} {'fold ev/s':>10} {'raw insert docs/s':>18} {'ratio':>6}")
    print(f"{args.dossiers:>9} {events:>8} {fold_s:>7.1f} {rate:>10.0f} {raw:>18.0f} {rate / raw:>6.2f}")
    print(f"store commands per event: {commands_per_event(folded, events)}")
    print(f"CPU of this process per event: {1000 * cpu_s / events:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
