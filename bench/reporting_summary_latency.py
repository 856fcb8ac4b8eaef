"""Summary query latency (p50/p95/p99) at several numbers of dossiers.

    uv run python bench/reporting_summary_latency.py --sizes 10000,100000 --queries 200

How the read models are filled (quickly, so that large sizes are reachable): a pool of generated
histories (motcua_stack.histories; as many as the size, up to --pool) is folded with the service's
own domain code -- each dossier's view (`derive`), its counter contributions and its document fields
(`view_fields`) -- and copied with new dossier ids until the size is reached; the dossier documents
are written with bulk inserts, and each stream's counter changes (three streams, as from three
partitions) go through the service's own `Counters.apply_claim`, as one claim. That is the data a fold
writes, without the claims' bookkeeping.
Each size gets a database of its own, dropped afterwards (unless --keep).

The queries go through the HTTP API in process (ASGI), for random quarters, months and spans, with a
random agency and level half of the time. Prints one row per size.
"""

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from motcua_reporting.adapters.counter_store import decode_rows
from motcua_reporting.adapters.counters import Counters
from motcua_reporting.adapters.dossier_store import view_fields
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.bootstrap import create_app
from motcua_reporting.config import Settings
from motcua_reporting.domain.contributions import counts
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event
from motcua_shared.auth import Role, mint_token
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.mongo import make_mongo_client
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue

SECRET = "bench-secret-of-at-least-thirty-two-bytes"
START, END = date(2024, 1, 1), date(2026, 1, 1)
POOL = 50_000  # enough histories that counters of every day, procedure and channel exist
CHUNK = 2000
STREAMS = 3


Pool = list[tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]]


def pool_documents(seed: int, size: int) -> Pool:
    """(facts, contributions as stored, view fields) of `size` generated dossiers."""
    histories = generate_histories(seed, size, START, END, read_catalogue(), calendar=load_calendar())
    pool = []
    for history in histories:
        facts = [fact_of(e) for e in history]
        view = derive(facts)
        stored = [{"k": k.id, "n": n} for k, n in sorted(counts(view).items())]
        pool.append((view.facts, stored, view_fields(view)))
    return pool


async def populate(models: ReadModels, size: int, pool: Pool) -> float:
    """Insert `size` dossier documents and their counters; the seconds it took."""
    began = time.perf_counter()
    totals: Counter[tuple[str, str]] = Counter()
    batch: list[dict[str, Any]] = []
    for i in range(size):
        facts, stored, fields = pool[i % len(pool)]  # copies of a history add to the same counters
        stream = f"b{i % STREAMS}"  # as if from STREAMS partitions
        copied = [{**f, "id": f"{f['id'][:24]}{i:012d}"} for f in facts]
        batch.append(
            {
                "_id": f"bench-{i:08d}",
                **fields,
                "facts": copied,
                "contributions": stored,
                "applied": [f["id"] for f in copied],
                "claim": "bench:0",
                "claim_delta": [],
            }
        )
        totals.update({(c["k"], stream): c["n"] for c in stored})
        if len(batch) == CHUNK:
            await models.dossiers.insert_many(batch, ordered=False)
            batch = []
    if batch:
        await models.dossiers.insert_many(batch, ordered=False)
    by_stream: dict[str, dict[str, int]] = {}
    for (key_id, stream), n in totals.items():
        by_stream.setdefault(stream, {})[key_id] = n
    for stream, deltas in by_stream.items():  # what folding the stream's events adds to the counters
        await Counters(models).apply_claim(stream, 0, size, deltas)
    # (the streams registered themselves in apply_claim)
    await models.claims.insert_one(
        {
            "_id": "bench:0",
            "stream": "bench",
            "start": 0,
            "end": size,
            "writer": "bench",
            "at": time.time(),
            "done": True,
        }
    )
    return time.perf_counter() - began


SHAPES = ("quarter", "month", "span")


def random_query(rng: random.Random, agencies: list[str]) -> tuple[str, dict[str, str]]:
    """A period's shape and the query: a calendar quarter or month (what centres publish), or any span
    of days (the dashboard's own dates)."""
    shape = rng.choice(SHAPES)
    if shape == "quarter":
        first = date(rng.choice([2024, 2025]), rng.choice([1, 4, 7, 10]), 1)
        last = (first + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    elif shape == "month":
        first = date(rng.choice([2024, 2025]), rng.randint(1, 12), 1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        first = START + timedelta(days=rng.randint(0, 600))
        last = first + timedelta(days=rng.randint(0, 120))
    params = {"from": first.isoformat(), "to": last.isoformat()}
    if rng.random() < 0.5:
        params["agency_code"] = rng.choice(agencies)
    if rng.random() < 0.3:
        params["admin_level"] = rng.choice(["provincial", "district", "commune"])
    return shape, params


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(size: int, args: argparse.Namespace, pool: Any) -> dict[str, Any]:
    mongo = make_mongo_client(args.mongodb_url)
    name = f"bench_summary_{size}_{uuid.uuid4().hex[:6]}"
    db = mongo[name]
    try:
        models = ReadModels(db)
        await models.ensure_indexes()
        catalogue = read_catalogue()
        projections = Projections.of(models)
        for event in catalogue_events(catalogue, occurred_at=datetime(2023, 1, 1, tzinfo=PROVINCE_TZ)):
            await fold_catalogue_event(projections, event)
        fill = await populate(models, size, pool[:size])
        counters = 0
        for collection in (models.days, models.months, models.open_months, models.open_years):
            async for doc in collection.find({}):
                counters += len(decode_rows(doc["rows"]))
        settings = Settings(mongodb_url=args.mongodb_url, mongodb_database=name, jwt_secret=SECRET)  # type: ignore[call-arg]
        app = create_app(settings, consume=False)
        headers = {"Authorization": f"Bearer {mint_token(SECRET, Role.OFFICIAL, subject='bench')}"}
        rng = random.Random(size)
        agencies = [a["agency_code"] for a in catalogue["agencies"]]
        timings: list[float] = []
        by_shape: dict[str, list[float]] = {shape: [] for shape in SHAPES}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
                deadline = time.perf_counter() + args.duration
                while len(timings) < args.queries and time.perf_counter() < deadline:
                    shape, params = random_query(rng, agencies)
                    began = time.perf_counter()
                    response = await client.get("/v1/reports/summary", params=params, headers=headers)
                    timings.append(time.perf_counter() - began)
                    by_shape[shape].append(timings[-1])
                    response.raise_for_status()
        return {
            "dossiers": size,
            "counters": counters,
            "fill_s": fill,
            "queries": len(timings),
            "p50": percentile(timings, 50),
            "p95": percentile(timings, 95),
            "p99": percentile(timings, 99),
            **{f"p50 {shape}": percentile(t, 50) if t else float("nan") for shape, t in by_shape.items()},
        }
    finally:
        if not args.keep:
            await mongo.drop_database(name)
        await mongo.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="numbers of dossiers, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="summary queries per size")
    parser.add_argument("--duration", type=float, default=120.0, help="at most this many seconds of queries per size")
    parser.add_argument("--mongodb-url", default="mongodb://127.0.0.1:27017")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--pool", type=int, default=POOL, help="at most this many distinct generated histories")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    pool = pool_documents(args.seed, min(max(sizes), args.pool))
    rows = [await measure(size, args, pool) for size in sizes]
    print(
        f"{'dossiers':>10} {'counters':>12} {'fill s':>8} {'queries':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  " + " ".join(f"{'p50 ' + s:>12}" for s in SHAPES)
    )
    for r in rows:
        print(
            f"{r['dossiers']:>10} {r['counters']:>12} {r['fill_s']:>8.1f} {r['queries']:>8} "
            f"{r['p50'] * 1000:>8.1f} {r['p95'] * 1000:>8.1f} {r['p99'] * 1000:>8.1f}  "
            + " ".join(f"{r['p50 ' + s] * 1000:>12.1f}" for s in SHAPES)
        )


if __name__ == "__main__":
    asyncio.run(main())
