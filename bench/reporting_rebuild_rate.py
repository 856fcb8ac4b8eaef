"""Rebuild rate: events per second folded by `motcua-reporting rebuild` from the topic, next to the
raw bulk-write rate of the same store measured in the same run.

    uv run python bench/reporting_rebuild_rate.py --dossiers 2000

Publishes the catalogue and `--dossiers` generated histories (motcua_stack.histories) on topics of
its own (prefix bench-<id>.), runs the rebuild into a database of its own and times it; then inserts
the same number of documents of a dossier document's size into a scratch collection with
insert_many (the fastest way to write to the store) and times that. Databases are dropped afterwards;
the topics are left (delete them with kafka-topics if you care).

Prints the table, the ratio rebuild events/s / raw insert docs/s (goal >= 0.7, issue 16) and the
machine (bench/_load.py `machine_line`, before and after: the load average says how noisy the figure
is); `--repeat N` times the rebuild and the raw inserts N times, alternately, and reports the median
of each. The broker and store default to `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL`.
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid

from _fold import publish, raw_insert_rate
from _load import machine_line, ratio_line
from motcua_reporting.config import Settings
from motcua_reporting.service_layer.rebuild import rebuild
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack.topics import ensure_topics

GOAL = 0.7  # rebuild events/s over raw insert docs/s (issue 16)


# ~1.5 kB, like a dossier document of reporting's.
_FACT = {
    "id": "7d1c3f0e-5b7e-4f3a-9a57-1c2f1d9e8b10",
    "type": "accepted",
    "at": "2025-01-06T01:15:00+00:00",
    "due_at": "2025-01-20T10:00:00+00:00",
}
RAW_DOCUMENT = {
    "facts": [_FACT] * 7,
    "received_date": "2025-01-06",
    "closed_date": "2025-01-15",
    "applied": [_FACT["id"]] * 7,
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="rebuilds and raw inserts, alternately (median)")
    args = parser.parse_args()
    before = machine_line(args.mongodb_url)

    run = uuid.uuid4().hex[:8]
    topics = Topics(f"bench-{run}.")
    await ensure_topics(args.kafka, topics, 3)
    events = await publish(args.kafka, topics, args.dossiers, args.seed)

    database = f"bench_rebuild_{run}"
    settings = Settings(
        kafka_bootstrap_servers=args.kafka,
        mongodb_url=args.mongodb_url,  # type: ignore[call-arg]
        mongodb_database=database,
        topic_prefix=topics.prefix,
        generation_ttl_seconds=0.1,
    )
    mongo = make_mongo_client(args.mongodb_url)
    rebuilds, raws = [], []
    try:
        for _ in range(max(1, args.repeat)):
            began = time.perf_counter()
            report = await rebuild(settings, catch_up_pause=0.0)
            rebuilds.append(report.events.get(topics.dossier_events, 0) / (time.perf_counter() - began))
            raws.append(await raw_insert_rate(args.mongodb_url, database, args.dossiers * 4, RAW_DOCUMENT))
            await mongo.drop_database(database)
    finally:
        await mongo.drop_database(database)
        await mongo.close()
    rebuild_rate, raw = statistics.median(rebuilds), statistics.median(raws)
    print(f"{'dossiers':>9} {'events':>8} {'rebuild s':>10} {'rebuild ev/s':>13} {'raw insert docs/s':>18}")
    print(f"{args.dossiers:>9} {events:>8} {events / rebuild_rate:>10.1f} {rebuild_rate:>13.0f} {raw:>18.0f}")
    if len(rebuilds) > 1:
        shown = ", ".join(f"{r:.0f}" for r in rebuilds), ", ".join(f"{r:.0f}" for r in raws)
        print(f"runs: rebuild ev/s {shown[0]}; raw insert docs/s {shown[1]}")
    print(ratio_line("rebuild events/s / raw insert docs/s", round(rebuild_rate), round(raw), goal=GOAL))
    print(before)
    print(machine_line(args.mongodb_url).replace("machine:", "machine after:", 1))


if __name__ == "__main__":
    asyncio.run(main())
