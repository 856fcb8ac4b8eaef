"""`$in` or one equality query per value (`motcua_shared.mongo.find_each`), side by side on this store.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 MONGODB_URL=mongodb://127.0.0.1:37017 \
        uv run python bench/store_in_or_each.py --dossiers 8000

The reads processing and notification make with a few values, each on a scratch database of its own
(dropped afterwards), timed alternately (median of `--repeat` reads, `--rounds` times):
- the clock's running dossiers: `status` one of the 2 running statuses and `due_at` passed, over
  `--dossiers` views (10 statuses, 40 agencies) with processing's indexes;
- the hand-over: one agency's dossiers in the 6 open statuses (the agency is an equality either way);
- the inbox's first page: one agency, 7 statuses, sorted by due time, 21 dossiers;
- notification's template versions: 12 templates among 16 admin versions (no index: a tiny collection).
Prints the table (`$in` ms, each ms, each / `$in`) and the machine (the load average says how noisy).
"""

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from _load import machine_line, table
from motcua_shared.lifecycle import OPEN_STATUSES, RUNNING_STATUSES, DossierStatus
from motcua_shared.mongo import find_each, make_mongo_client
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

STATUSES = sorted(s.value for s in DossierStatus)
RUNNING = sorted(s.value for s in RUNNING_STATUSES)
OPEN = sorted(s.value for s in OPEN_STATUSES)  # what a dissolved agency hands over (bar result_ready)
INBOX = sorted(s.value for s in OPEN_STATUSES | {DossierStatus.RESULT_READY})
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def fill_dossiers(collection: AsyncCollection[Any], dossiers: int) -> None:
    await collection.create_index([("agency_code", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)])
    await collection.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
    pick = random.Random(1)
    history = [{"status": "accepted", "when": T0, "event_id": str(uuid.UUID(int=1)), "note": "x" * 60}] * 6
    for first in range(0, dossiers, 1000):
        await collection.insert_many(
            [
                {
                    "_id": f"d{i:07d}",
                    "agency_code": f"A{i % 40}",
                    "status": pick.choice(STATUSES),
                    "due_at": T0 + timedelta(hours=i),
                    "history": history,
                }
                for i in range(first, min(dossiers, first + 1000))
            ]
        )


async def median_ms(read: Callable[[], Awaitable[list[Any]]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await read()
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    args = parser.parse_args()
    before = machine_line(args.mongodb_url)
    mongo = make_mongo_client(args.mongodb_url)
    database = f"bench_in_or_each_{uuid.uuid4().hex[:8]}"
    try:
        dossiers, versions = mongo[database]["dossiers"], mongo[database]["template_versions"]
        await fill_dossiers(dossiers, args.dossiers)
        templates = [f"t{i}" for i in range(24)]
        await versions.insert_many(
            [
                {"_id": f"{t}@{v}", "template_id": t, "version": v, "body": "x" * 300}
                for t in templates[:8]
                for v in (2, 3)
            ]
        )
        by_due = [("due_at", ASCENDING), ("_id", ASCENDING)]
        passed = {"due_at": {"$lte": T0 + timedelta(hours=args.dossiers // 2)}}
        reads: dict[str, tuple[Callable[[], Awaitable[list[Any]]], Callable[[], Awaitable[list[Any]]]]] = {
            "clock: running and due": (
                lambda: dossiers.find({"status": {"$in": RUNNING}, **passed}, limit=1000).to_list(),
                lambda: find_each(dossiers, {"status": RUNNING}, passed, limit=1000),
            ),
            "hand-over: an agency's open": (
                lambda: dossiers.find({"agency_code": "A7", "status": {"$in": OPEN}}, limit=1000).to_list(),
                lambda: find_each(dossiers, {"status": OPEN}, {"agency_code": "A7"}, limit=1000),
            ),
            "inbox: first page": (
                lambda: dossiers.find({"agency_code": "A7", "status": {"$in": INBOX}}, sort=by_due, limit=21).to_list(),
                lambda: find_each(dossiers, {"agency_code": ["A7"], "status": INBOX}, {}, sort=by_due, limit=21),
            ),
            "templates: 12 of 16 versions": (
                lambda: versions.find({"template_id": {"$in": templates[:12]}}).to_list(),
                lambda: find_each(versions, {"template_id": templates[:12]}, {}),
            ),
        }
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in reads}
        for _ in range(args.rounds):  # alternately, so the machine's weather falls on both
            for name, (one_in, each) in reads.items():
                times[name][0].append(await median_ms(one_in, args.repeat))
                times[name][1].append(await median_ms(each, args.repeat))
    finally:
        await mongo.drop_database(database)
        await mongo.close()
    rows = []
    for name, (in_ms, each_ms) in times.items():
        a, b = statistics.median(in_ms), statistics.median(each_ms)
        rows.append([name, str(args.dossiers), f"{a:.1f}", f"{b:.1f}", f"{b / a:.2f}"])
    print(table(["read", "dossiers", "$in ms", "each ms", "each / $in"], rows))
    print(before)
    print(machine_line(args.mongodb_url).replace("machine:", "machine after:", 1))


if __name__ == "__main__":
    asyncio.run(main())
