"""Summary query latency (p50/p95/p99 per shape of period) at several numbers of dossiers.

    uv run python bench/reporting_summary_latency.py --sizes 10000,100000 --queries 200

How the read models are filled (quickly, so that large sizes are reachable): a pool of generated
histories (motcua_stack.histories; as many as the size, up to --pool) is folded with the service's
own domain code -- each dossier's view (`derive`), its counter contributions and its document fields
(`view_fields`) -- and copied with new dossier ids until the size is reached; the dossier documents
are written with bulk inserts, and each stream's counter changes (three streams, as from three
partitions) go through the service's own `Counters.apply_claim`, as one claim. That is the data a fold
writes, without the claims' bookkeeping. Filling takes about a minute per 100,000 dossiers on a quiet
2-core machine (1M: 10 to 15 minutes; --sizes 100000 is the cheaper run, and the counters level off
there already: their number depends on the calendar and the catalogue, not on the dossiers).
Each size gets a database of its own, dropped afterwards (unless --keep; `--database NAME --sizes N`
measures one kept again without filling it).

The queries go through the HTTP API in process (ASGI), for random quarters, months and spans of days,
with a random agency half of the time and a random level a third of the time, in three passes:
- `from the store`: the process's kept values dropped before each query: each summary reads its
  counter documents and the catalogue;
- `kept`: other random queries while nothing is folded, after `--warmup` random queries (not
  measured) as a running service has answered: a summary reads `reporting_meta`, and the documents
  no query has read yet (a span's ends, mostly);
- `after one claim`: what a running service sees while its fold goes on: before each query, one
  claim of one stream (a dossier received and open on a random day of the query's period) is applied
  through `Counters.apply_claim`, which marks it as the live fold does; the query rereads that
  stream's documents the claim may have changed (adapters/read_cache.py). The claims are taken back
  out afterwards (one more claim per stream), so a kept database measures the same again.
Prints the machine (before and after), one row per size, pass and shape, and the goal (issue 16:
p99 <= 20 ms at 1M dossiers for every shape).
"""

import argparse
import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from _load import machine_line, table
from motcua_reporting.adapters.counter_store import decode_rows
from motcua_reporting.adapters.counters import Counters
from motcua_reporting.adapters.dossier_store import view_fields
from motcua_reporting.adapters.read_cache import CACHE
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.bootstrap import create_app
from motcua_reporting.config import Settings
from motcua_reporting.domain.contributions import CounterKey, counts
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event
from motcua_shared.auth import Role, mint_token
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.heap import frozen_after_startup
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
PASSES = ("from the store", "kept", "after one claim")
GOAL_MS, GOAL_SIZE = 20.0, 1_000_000


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
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def groups(shape: str, params: dict[str, str]) -> list[str]:
    """The rows a query counts in: its shape, with an agency / a level, and all."""
    return [shape] + ["with agency"] * ("agency_code" in params) + ["with level"] * ("admin_level" in params) + ["all"]


Before = Callable[[dict[str, str]], Awaitable[None]]


async def queries(
    client: httpx.AsyncClient,
    rng: random.Random,
    agencies: list[str],
    args: argparse.Namespace,
    count: int,
    before: Before | None = None,
) -> dict[str, list[float]]:
    """`count` random summaries (at most `--duration` seconds), each after `before(query)` (not
    timed): seconds each, by group."""
    headers = {"Authorization": f"Bearer {mint_token(SECRET, Role.OFFICIAL, subject='bench')}"}
    timings: dict[str, list[float]] = {}
    deadline, asked = time.perf_counter() + args.duration, 0
    while asked < count and time.perf_counter() < deadline:
        shape, params = random_query(rng, agencies)
        if before is not None:
            await before(params)
        began, cpu = time.perf_counter(), time.process_time()
        response = await client.get("/v1/reports/summary", params=params, headers=headers)
        took, used = time.perf_counter() - began, time.process_time() - cpu
        response.raise_for_status()
        asked += 1
        for group in groups(shape, params):
            timings.setdefault(group, []).append(took)
            timings.setdefault(f"cpu {group}", []).append(used)
    return timings


async def forget(params: dict[str, str]) -> None:
    CACHE.clear()


class OneClaim:
    """Before each query, what a running service's fold does between two requests: one claim of one
    stream (at random) is applied through Counters.apply_claim, which marks it as the live fold does --
    a dossier received and open on a random day of the query's period (keys taken from the stored
    counters). `undo` takes every change back out afterwards, one claim per stream."""

    def __init__(self, models: ReadModels, rng: random.Random) -> None:
        self.counters, self.rng = Counters(models), rng
        self.models = models
        self.position = 0
        self.applied: dict[str, Counter[str]] = {}
        self.templates: dict[str, list[list[Any]]] = {}

    async def load(self) -> None:
        """Counter rows to copy (dated by month in the stored documents): received and open ones; and
        the next claim position: past every claim applied so far (a kept database measured again)."""
        for collection in (self.models.days, self.models.months, self.models.open_months, self.models.open_years):
            for doc in await collection.find({}, {"pos": 1}).to_list(None):
                self.position = max(self.position, int(doc.get("pos", 0)) + 1)
        for kind, collection in (("received", self.models.months), ("open", self.models.open_months)):
            for doc in await collection.find({"stream": "b0"}).limit(3).to_list(None):
                self.templates.setdefault(kind, []).extend(r for r in decode_rows(doc["rows"]) if r[0] == kind)

    async def claim(self, stream: str, deltas: dict[str, int]) -> None:
        await self.counters.apply_claim(stream, self.position, self.position, deltas)
        self.position += 1

    async def __call__(self, params: dict[str, str]) -> None:
        first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        day = (first + timedelta(days=self.rng.randint(0, (last - first).days))).isoformat()
        stream = f"b{self.rng.randrange(STREAMS)}"
        rows = [self.rng.choice(self.templates[kind]) for kind in self.templates]
        deltas = {CounterKey(row[0], day, *row[2:]).id: 1 for row in rows}
        await self.claim(stream, deltas)
        self.applied.setdefault(stream, Counter()).update(deltas)

    async def undo(self) -> None:
        for stream, deltas in self.applied.items():
            await self.claim(stream, {key: -n for key, n in deltas.items()})
        self.applied.clear()


async def measure(size: int, args: argparse.Namespace, pool: Any) -> dict[str, Any]:
    mongo = make_mongo_client(args.mongodb_url)
    name = args.database or f"bench_summary_{size}_{uuid.uuid4().hex[:6]}"
    db = mongo[name]
    try:
        models = ReadModels(db)
        catalogue = read_catalogue()
        fill = 0.0
        if not args.database:
            await models.ensure_indexes()
            projections = Projections.of(models)
            for event in catalogue_events(catalogue, occurred_at=datetime(2023, 1, 1, tzinfo=PROVINCE_TZ)):
                await fold_catalogue_event(projections, event)
            fill = await populate(models, size, pool[:size])
        counters = 0
        for collection in (models.days, models.months, models.open_months, models.open_years):
            for doc in await collection.find({}).to_list(None):
                counters += len(decode_rows(doc["rows"]))
        settings = Settings(mongodb_url=args.mongodb_url, mongodb_database=name, jwt_secret=SECRET)  # type: ignore[call-arg]
        app = create_app(settings, consume=False)
        rng = random.Random(size)
        agencies = [a["agency_code"] for a in catalogue["agencies"]]
        # Started as `serve` starts a service: its heap frozen after startup (motcua_shared.heap).
        async with frozen_after_startup(app.router.lifespan_context)(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
                store = await queries(client, rng, agencies, args, args.queries, forget)
                await queries(client, rng, agencies, args, args.warmup)
                kept = await queries(client, rng, agencies, args, args.queries)
                one_claim = OneClaim(models, rng)
                await one_claim.load()
                try:
                    claimed = await queries(client, rng, agencies, args, args.queries, one_claim)
                finally:
                    await one_claim.undo()
        return {
            "dossiers": size,
            "counters": counters,
            "fill_s": fill,
            "from the store": store,
            "kept": kept,
            "after one claim": claimed,
        }
    finally:
        CACHE.clear()
        if not args.keep and not args.database:
            await mongo.drop_database(name)
        await mongo.close()


def report(rows: list[dict[str, Any]]) -> str:
    header = ["dossiers", "counters", "fill s", "pass", "shape", "queries", "p50 ms", "p95 ms", "p99 ms", "CPU p50 ms"]
    lines = []
    for r in rows:
        for name in PASSES:
            for group in (*SHAPES, "with agency", "with level", "all"):
                t = r[name].get(group, [])
                ms = [f"{percentile(t, p) * 1000:.1f}" for p in (50, 95, 99)]
                ms.append(f"{percentile(r[name].get(f'cpu {group}', []), 50) * 1000:.1f}")
                lines.append(
                    [str(r["dossiers"]), str(r["counters"]), f"{r['fill_s']:.0f}", name, group, str(len(t)), *ms]
                )
    return table(header, lines)


def goal_line(rows: list[dict[str, Any]]) -> str:
    """The goal, judged on the largest size measured (the goal's own size when it was run), in a
    running service: kept, and after one claim."""
    largest = max(rows, key=lambda r: r["dossiers"])
    worst = {
        name: max(percentile(t, 99) for g, t in largest[name].items() if not g.startswith("cpu")) * 1000
        for name in PASSES
    }
    verdict = "met" if max(worst["kept"], worst["after one claim"]) <= GOAL_MS else "missed"
    at = "" if largest["dossiers"] >= GOAL_SIZE else f" (measured at {largest['dossiers']:,}, not at {GOAL_SIZE:,})"
    return (
        f"goal: summary p99 <= {GOAL_MS:g} ms at {GOAL_SIZE:,} dossiers, every shape{at}: worst shape p99 "
        f"{worst['kept']:.1f} ms kept, {worst['after one claim']:.1f} ms after one claim ({verdict}), "
        f"{worst['from the store']:.1f} ms from the store"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="numbers of dossiers, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="summary queries per size and pass")
    parser.add_argument(
        "--duration", type=float, default=120.0, help="at most this many seconds of queries per size and pass"
    )
    parser.add_argument("--mongodb-url", default=os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=200, help="random summaries asked before the kept pass")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--database", help="measure a database an earlier --keep run filled (one size: its own), without filling"
    )
    parser.add_argument("--pool", type=int, default=POOL, help="at most this many distinct generated histories")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(machine_line(args.mongodb_url))
    pool = [] if args.database else pool_documents(args.seed, min(max(sizes), args.pool))
    rows = [await measure(size, args, pool) for size in sizes]
    print(report(rows))
    print(goal_line(rows))
    print(machine_line(args.mongodb_url).replace("machine:", "machine after:", 1))


if __name__ == "__main__":
    asyncio.run(main())
