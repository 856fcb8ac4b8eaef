"""Importing a quarter into a running stack: how long each service's consumer group takes to fold a
quarter of dossier histories published at once, as an integrator moving an older system's data over
would publish them, and whether its fold rate holds up while the store fills.

    uv run python bench/import_quarter.py --dossiers 8000 --months 3

Runs against the stack `make up` (`uv run motcua-stack up`) started; it starts nothing itself. The
broker and store are `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL` when set, else the native stack's
addresses (`motcua_stack.kafka`, `motcua_stack.store`, so the `MOTCUA_STACK_*_PORT` variables of a
second stack apply), the topic prefix is `motcua_stack.stack.topic_prefix()`
(`MOTCUA_STACK_TOPIC_PREFIX`, empty for the real stack) and the services' URLs come from
`motcua_stack.services`; each of the four must answer /health.

1. Generates `--dossiers` histories (`motcua_stack.histories`, seed `--seed`) submitted within the
   `--months` months before the demo data's first day (and before any earlier import of this
   benchmark into the same stack), or before `--end`. Dossier codes are numbered per agency and day,
   so two imports covering the same days would share codes: the window of every import is recorded
   in the store (`motcua_stack.imports`, beside the demo's mark) and an overlapping window is
   refused. Dossier and event ids come from the seed alone, so each import takes a seed no earlier
   one here took (by default the first free one from 3; a used `--seed` is refused): with the same
   seed a second import would publish the first one's events again, which every service folds once.
2. Publishes the catalogue events the catalogue topic lacks (their ids are derived from their
   content, as `motcua-intake load-catalog` derives them, so usually none), then every dossier event
   on `dossier.events`, keyed by dossier id, with one acks=all idempotent producer, batched; the
   events are serialised beforehand. The publish time runs from the first send to the last ack.
3. Polls (every `--every` seconds, with one admin client kept open) the committed offsets of every
   consumer group (topic prefix + the service's consumer group) on the topics it consumes
   (`catalog.events` and `dossier.events`, for all four) and their end offsets, the same reckoning
   as `motcua_stack.topics.lag`, until every group has none left or `--patience` seconds have passed
   since publishing began.

The group table: `to fold` is what the group had to commit from the start of publishing until it
caught up (any backlog it had, shown apart, plus the import, plus what processing's clock published
meanwhile: a `dossier.overdue` for each imported open dossier whose due time has passed);
`caught up after s` runs from the start of publishing to the first poll that found nothing left (so
to within `--every`); `events/s` is the events published divided by that time. `first tenth ev/s`
and `last tenth ev/s` are events committed per second while the group's progress was in the first
and in the last 10% of `to fold` (the times interpolated between polls; the first tenth starts at
the last poll before its first commit); `last/first` below 1 means the fold slowed down as the store
filled, or that other consumers took more of the machine then (the four share it). So the CPU time of
the service's own processes over each tenth (from /proc, interpolated between polls) is shown per event
beside: a cost per event that grows with the history shows there whatever else runs. A group not
caught up within the patience is reported so, with what it left and its rate so far (that is a
result, not a failure).

Exits 1 if a service does not answer, the window overlaps an earlier import, publishing fails, any
record lands on a dead-letter topic meanwhile, or, once reporting has caught up, its summary for the
quarter counts fewer received dossiers than were imported.
"""

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from _load import machine_line, ratio_line, table, wall_clock
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics, dead_letter_topic
from motcua_stack import demo, histories, kafka, services, stack, store
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

IMPORTS = (demo.STACK_DATABASE, "imports")  # where demo.py marks its import too
GROUP_ORDER = (services.PROCESSING, services.REPORTING, services.NOTIFICATION, services.INTAKE)
# Issue 16's goals: the quarter caught up by every group within this many seconds of the first
# publish, and each group's fold rate over the last tenth at least this share of the first tenth's.
CAUGHT_UP_GOAL_S = 60.0
FLAT_GOAL = 0.8
FIRST_SEED = 3  # the histories' seed by default (the demo's is demo.SEED)


class Failed(Exception):
    """What makes the benchmark exit 1, with the reason."""


# --- the machine ------------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError:
        return ""


def cpu_model() -> str:
    found = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    return found.group(1).strip() if found else (platform.processor() or platform.machine())


def memory_gib() -> str:
    found = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    return f"{int(found.group(1)) / 2**20:.1f} GiB" if found else "?"


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


async def store_version(mongo: AsyncMongoClient[Any]) -> str:
    """What the server at MONGODB_URL says it is (FerretDB adds its own version to buildInfo)."""
    try:
        info = await mongo.admin.command("buildInfo")
    except Exception as exc:  # an unreachable store fails later, with a clearer message
        return f"? ({type(exc).__name__})"
    if "ferretdbVersion" in info:
        return f"FerretDB, version {info['ferretdbVersion']!r} (MongoDB {info.get('version', '?')} protocol)"
    return f"MongoDB {info.get('version', '?')}"


def engine() -> str:
    """motcua_stack.store.engine(), where the store module has one."""
    find = getattr(store, "engine", None)
    try:
        return str(find()) if callable(find) else "?"
    except Exception as exc:
        return f"? ({type(exc).__name__})"


def machine_rows(kafka_servers: str, mongodb_url: str, version: str, load_before: str) -> list[list[str]]:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return [
        ["cores", f"{cores}" + (f" ({usable} usable)" if usable != cores else "")],
        ["CPU", cpu_model()],
        ["RAM", memory_gib()],
        ["load average (1/5/15 min) before / after", f"{load_before}  /  {load_average()}"],
        ["store", f"{engine()}: {version} at {mongodb_url}"],
        ["Kafka", kafka_servers],
        ["Python", platform.python_version()],
    ]


# --- the quarter ------------------------------------------------------------------------------------


def months_before(end: date, months: int) -> date:
    """The first day of the month `months` months before `end`'s month."""
    month = end.month - months
    return date(end.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def mark_pattern(prefix: str) -> str:
    return f"^(demo|quarter):{re.escape(prefix)}:"


async def earlier_imports(mongo: AsyncMongoClient[Any], prefix: str) -> list[dict[str, Any]]:
    """The demo's and this benchmark's import marks on this topic prefix (each with its start and end)."""
    database, collection = IMPORTS
    found = mongo[database][collection].find({"_id": {"$regex": mark_pattern(prefix)}})
    return [mark async for mark in found if "start" in mark and "end" in mark]


def choose_window(today: date, months: int, end: date | None, marks: list[dict[str, Any]]) -> tuple[date, date]:
    """[start, end): the months before `end`, by default before the demo's window and every earlier import."""
    if end is None:
        demo_start, _ = demo.window(today, demo.months())
        end = min([demo_start, today, *(date.fromisoformat(m["start"]) for m in marks)]).replace(day=1)
    start = months_before(end, months)
    for mark in marks:
        if date.fromisoformat(mark["start"]) < end and start < date.fromisoformat(mark["end"]):
            raise Failed(
                f"{start} to {end} overlaps the import {mark['_id']} ({mark['start']} to {mark['end']}): "
                "its dossier codes would collide; give another --end (or leave it out)"
            )
    return start, end


def choose_seed(seed: int | None, marks: list[dict[str, Any]]) -> int:
    """The histories' seed: `seed`, or the first from FIRST_SEED up that no earlier import in this stack
    used. Ids (of dossiers and events) come from the seed alone, so a second import with the seed of
    the first would publish the first one's events again, which every service rightly folds once."""
    used = {int(m["seed"]) for m in marks if "seed" in m} | {demo.SEED}
    if seed is not None:
        if seed in used:
            raise Failed(f"--seed {seed} was used by the demo data or an earlier import here; choose another")
        return seed
    return next(s for s in itertools.count(FIRST_SEED) if s not in used)


async def reserve(
    mongo: AsyncMongoClient[Any], prefix: str, seed: int, dossiers: int, start: date, end: date, events: int
) -> str:
    """Record this import's window before publishing (a crash halfway still keeps the window taken)."""
    database, collection = IMPORTS
    mark_id = f"quarter:{prefix}:{seed}:{dossiers}:{start}:{end}"
    try:
        await mongo[database][collection].insert_one(
            {
                "_id": mark_id,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "dossiers": dossiers,
                "events": events,
                "seed": seed,
                "imported_at": datetime.now(UTC),
                "by": "bench/import_quarter.py",
            }
        )
    except DuplicateKeyError:
        raise Failed(f"this quarter ({mark_id}) was imported into this stack already") from None
    return mark_id


# --- publishing -------------------------------------------------------------------------------------


async def catalogue_ids_on_topic(bootstrap: str, partitions: list[TopicPartition], within: float = 60.0) -> set[str]:
    """The event ids the catalogue topic holds (it is small: one event per agency or procedure change)."""
    if not partitions:
        return set()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="motcua-bench-import")
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        ids: set[str] = set()
        deadline = time.monotonic() + within
        while any(position < ends[tp] for tp, position in [(tp, await consumer.position(tp)) for tp in ends]):
            if time.monotonic() > deadline:
                raise Failed(f"could not read {partitions[0].topic} within {within:.0f} s")
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for record in records:
                    try:
                        ids.add(str(json.loads(record.value or b"{}").get("event_id")))
                    except (ValueError, AttributeError):
                        pass  # not ours to judge here; consumers dead-letter it
        return ids
    finally:
        await consumer.stop()


@dataclass
class Published:
    catalogue: int = 0
    dossier_events: int = 0
    catalogue_s: float = 0.0
    dossier_s: float = 0.0
    done_at: float | None = None  # monotonic time the last dossier event was acknowledged


async def publish(
    bootstrap: str,
    topics: Topics,
    catalogue: list[tuple[bytes, bytes]],
    dossier_events: list[tuple[bytes, bytes]],
    published: Published,
) -> None:
    """The catalogue (acknowledged first, so every procedure is known before its first dossier), then
    every dossier event; one idempotent acks=all producer, large batches."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        client_id="motcua-bench-import",
        linger_ms=50,
        max_batch_size=512 * 1024,
        request_timeout_ms=120_000,
    )
    await producer.start()
    try:
        began = time.monotonic()
        await asyncio.gather(*[await producer.send(topics.catalog_events, value, key=key) for key, value in catalogue])
        published.catalogue, published.catalogue_s = len(catalogue), time.monotonic() - began
        began = time.monotonic()
        await asyncio.gather(
            *[await producer.send(topics.dossier_events, value, key=key) for key, value in dossier_events]
        )
        published.done_at = time.monotonic()
        published.dossier_events, published.dossier_s = len(dossier_events), published.done_at - began
    finally:
        await producer.stop()


# --- progress ---------------------------------------------------------------------------------------


@dataclass
class Group:
    service: services.Service
    name: str
    backlog: int = 0  # left to commit when publishing began
    start: dict[TopicPartition, int] = field(default_factory=dict)  # committed then
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (s since start, committed since, left)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of the service's processes at each sample
    caught_up_s: float | None = None

    def sample(self, at: float, committed: int, left: int) -> None:
        self.samples.append((at, committed, left))
        self.cpu.append(cpu_seconds(self.service))

    @property
    def folded(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    @property
    def left(self) -> int:
        return self.samples[-1][2] if self.samples else self.backlog


class Offsets:
    """Committed and end offsets of the consumed topics, with clients kept open between polls."""

    def __init__(self, bootstrap: str, topics: list[str], dead_letters: list[str]) -> None:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="motcua-bench-import")
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="motcua-bench-import"
        )
        self.topics, self.dead_letter_topics = topics, dead_letters
        self.partitions: list[TopicPartition] = []
        self.dead_letter_partitions: list[TopicPartition] = []

    async def __aenter__(self) -> "Offsets":
        await self.admin.start()
        await self.consumer.start()
        present = set(await self.admin.list_topics())
        missing = [t for t in self.topics if t not in present]
        if missing:
            raise Failed(
                f"the stack has no topic {', '.join(missing)}: is the topic prefix right (MOTCUA_STACK_TOPIC_PREFIX)?"
            )
        self.partitions = await self._partitions(self.topics)
        self.dead_letter_partitions = await self._partitions([t for t in self.dead_letter_topics if t in present])
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def _partitions(self, names: list[str]) -> list[TopicPartition]:
        if not names:
            return []
        return [
            TopicPartition(d["topic"], p["partition"])
            for d in await self.admin.describe_topics(names)
            for p in d.get("partitions") or ()
        ]

    async def ends(self) -> dict[TopicPartition, int]:
        found: dict[TopicPartition, int] = await self.consumer.end_offsets(self.partitions)
        return found

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """Per partition; one the group never committed counts as 0 (it starts at the earliest)."""
        offsets = await self.admin.list_consumer_group_offsets(group, partitions=self.partitions)
        return {tp: max(0, offsets[tp].offset) if tp in offsets else 0 for tp in self.partitions}

    async def dead_lettered(self) -> int:
        if not self.dead_letter_partitions:
            return 0
        return sum((await self.consumer.end_offsets(self.dead_letter_partitions)).values())


def left_over(ends: dict[TopicPartition, int], committed: dict[TopicPartition, int]) -> int:
    return sum(max(0, end - committed.get(tp, 0)) for tp, end in ends.items())


async def watch(
    offsets: Offsets, groups: list[Group], began: float, published: Published, *, every: float, patience: float
) -> None:
    """Poll every group until all have caught up after the last event was published, or the patience is spent."""
    while True:
        now = time.monotonic()
        all_published = published.done_at is not None  # before the end offsets are read
        ends = await offsets.ends()
        for group in groups:
            if group.caught_up_s is not None:
                continue
            committed = await offsets.committed(group.name)
            since = sum(committed.values()) - sum(group.start.values())
            left = left_over(ends, committed)
            group.sample(time.monotonic() - began, max(since, group.folded), left)
            if left == 0 and all_published:
                group.caught_up_s = group.samples[-1][0]
        if all(g.caught_up_s is not None for g in groups) or now - began > patience:
            return
        await asyncio.sleep(max(0.0, every - (time.monotonic() - now)))


def cpu_seconds(service: services.Service) -> float:
    """CPU seconds (user + system) used so far by the service's running instances (from /proc)."""
    total = 0.0
    for name, pid in services.running().items():
        if services.instance_of(name)[0] is service:
            try:
                fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_at(group: Group, at: float) -> float:
    """The group's service CPU seconds at `at`, interpolated between the samples around it."""
    before_t, before_c = 0.0, group.cpu[0] if group.cpu else 0.0
    for (t, _, _), c in zip(group.samples, group.cpu, strict=True):
        if t >= at:
            return c if t == before_t else before_c + (at - before_t) / (t - before_t) * (c - before_c)
        before_t, before_c = t, c
    return before_c


def crossing(samples: list[tuple[float, int, int]], amount: float) -> float | None:
    """When the committed count first reached `amount`, interpolated between the two polls around it."""
    before_t, before_n = 0.0, 0
    for t, n, _ in samples:
        if n >= amount:
            if n == before_n:
                return t
            return before_t + (amount - before_n) / (n - before_n) * (t - before_t)
        before_t, before_n = t, n
    return None


def tenth_windows(group: Group, total: int) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """When the group folded the first and the last tenth of `total` (seconds since the start)."""
    if total <= 0:
        return None, None
    samples = group.samples
    # The first tenth starts when folding started: the last poll that had seen nothing committed yet.
    start = max((t for t, n, _ in samples if n == 0), default=0.0)
    tenth = total / 10
    first_end = crossing(samples, tenth)
    first = (start, first_end) if first_end is not None and first_end > start else None
    last = None
    if group.caught_up_s is not None:
        last_start, last_end = crossing(samples, total - tenth), crossing(samples, total)
        if last_start is not None and last_end is not None and last_end > last_start:
            last = (last_start, last_end)
    return first, last


def cpu_per_event(group: Group, total: int) -> tuple[float | None, float | None]:
    """The service's CPU milliseconds per event over the first and the last tenth of `total`: the cost
    per event, which a rate over a tenth shows only when nothing else runs (on a shared machine the
    other consumers' progress speeds up or slows down each one's rate)."""
    costs: list[float | None] = []
    for window in tenth_windows(group, total):
        if window is None or not group.cpu:
            costs.append(None)
        else:
            costs.append((cpu_at(group, window[1]) - cpu_at(group, window[0])) * 1000 / (total / 10))
    return costs[0], costs[1]


def tenths(group: Group, total: int) -> tuple[float | None, float | None]:
    """Events committed per second over the first and the last tenth of `total`."""
    return tuple(  # type: ignore[return-value]
        total / 10 / (window[1] - window[0]) if window else None for window in tenth_windows(group, total)
    )


def rate(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def group_rows(groups: list[Group], published_events: int, patience_s: float) -> list[list[str]]:
    rows = []
    for group in groups:
        if group.caught_up_s is not None:
            total = group.folded
            first, last = tenths(group, total)
            ratio = f"{last / first:.2f}" if first and last else "-"
            cost_first, cost_last = cpu_per_event(group, total)
            rows.append(
                [
                    group.name,
                    f"{group.backlog:,}",
                    f"{total:,}",
                    f"{group.caught_up_s:.1f}",
                    rate(published_events / group.caught_up_s),
                    rate(first),
                    rate(last),
                    ratio,
                    rate(cost_first),
                    rate(cost_last),
                ]
            )
        else:
            elapsed = group.samples[-1][0] if group.samples else patience_s
            total = group.folded + group.left
            first, _ = tenths(group, total)
            status = (
                f"not caught up: {group.left:,} left after {elapsed:.0f} s, "
                f"{group.folded / elapsed if elapsed else 0:,.1f} events/s so far"
            )
            cost_first, _ = cpu_per_event(group, total)
            rows.append(
                [
                    group.name,
                    f"{group.backlog:,}",
                    f"{total:,}",
                    status,
                    "-",
                    rate(first),
                    "-",
                    "-",
                    rate(cost_first),
                    "-",
                ]
            )
    return rows


def goal_lines(groups: list[Group]) -> list[str]:
    """Issue 16's two goals, per group: caught up within CAUGHT_UP_GOAL_S, last tenth / first tenth >= FLAT_GOAL."""
    lines = []
    for group in groups:
        if group.caught_up_s is None:
            lines.append(f"goal: {group.name} caught up <= {CAUGHT_UP_GOAL_S:g} s: missed (not caught up)")
            continue
        verdict = "met" if group.caught_up_s <= CAUGHT_UP_GOAL_S else "missed"
        lines.append(f"goal: {group.name} caught up <= {CAUGHT_UP_GOAL_S:g} s: {verdict} ({group.caught_up_s:.1f} s)")
        first, last = tenths(group, group.folded)
        if first and last:
            lines.append(
                ratio_line(f"{group.name} last tenth / first tenth ev/s", round(last), round(first), goal=FLAT_GOAL)
            )
        cost_first, cost_last = cpu_per_event(group, group.folded)
        if cost_first and cost_last:
            lines.append(
                f"cost: {group.name} CPU per event, last tenth / first tenth = {cost_last / cost_first:.2f} "
                f"({cost_last:.2f} / {cost_first:.2f} ms; <= {1 / FLAT_GOAL:.2f} is the same goal in cost)"
            )
    return lines


GROUP_COLUMNS = [
    "group",
    "backlog at start",
    "to fold",
    "caught up after s",
    "events/s",
    "first tenth ev/s",
    "last tenth ev/s",
    "last/first",
    "first tenth CPU ms/ev",
    "last tenth CPU ms/ev",
]


# --- the run ----------------------------------------------------------------------------------------


def check_services() -> None:
    down = [f"{s.name} ({s.url()})" for s in services.ALL if services.health(s) is None]
    if down:
        raise Failed(f"not answering /health: {', '.join(down)}; start the stack first (`uv run motcua-stack up`)")


async def reporting_count(start: date, end: date) -> int | None:
    """Dossiers received in [start, end) according to reporting's summary (None if it does not answer)."""
    try:
        token = stack.tokens()["official"]
        async with httpx.AsyncClient(timeout=120.0) as client:
            response = await client.get(
                f"{services.REPORTING.url()}/v1/reports/summary",
                params={"from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            )
        response.raise_for_status()
        return int(response.json()["received"]["total"])
    except Exception as exc:
        print(f"note: reporting's summary could not be read: {exc!r}", file=sys.stderr)
        return None


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def bench(args: argparse.Namespace) -> int:
    kafka_servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or kafka.bootstrap_servers()
    mongodb_url = os.environ.get("MONGODB_URL") or store.mongodb_url()
    topics = Topics(stack.topic_prefix())
    started_at, load_before = wall_clock(), load_average()
    check_services()
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    try:
        version = await store_version(mongo)
        marks = await earlier_imports(mongo, topics.prefix)
        today = datetime.now(PROVINCE_TZ).date()
        start, end = choose_window(today, args.months, args.end, marks)
        args.seed = choose_seed(args.seed, marks)

        say(f"generating {args.dossiers:,} histories submitted from {start} to {end} (seed {args.seed}) …")
        began = time.monotonic()
        catalogue = histories.read_catalogue()
        quarter = histories.generate_histories(args.seed, args.dossiers, start, end, catalogue)
        catalogue_at = datetime.combine(start, datetime.min.time(), tzinfo=PROVINCE_TZ) - timedelta(days=1)
        dossier_records = [(e.dossier_id.encode(), e.to_bytes()) for history in quarter for e in history]

        consumed = [topics.catalog_events, topics.dossier_events]
        dead_letters = [dead_letter_topic(t) for t in consumed]
        groups = [Group(s, topics.prefix + s.consumer_group) for s in GROUP_ORDER]
        async with Offsets(kafka_servers, consumed, dead_letters) as offsets:
            on_topic = await catalogue_ids_on_topic(
                kafka_servers, [tp for tp in offsets.partitions if tp.topic == topics.catalog_events]
            )
            catalogue_records = [
                (histories.catalogue_key(e).encode(), e.to_bytes())
                for e in histories.catalogue_events(catalogue, occurred_at=catalogue_at)
                if str(e.event_id) not in on_topic
            ]
            say(
                f"  {len(dossier_records):,} events in {time.monotonic() - began:.1f} s; catalogue events "
                f"missing from {topics.catalog_events}: {len(catalogue_records)}"
            )
            # An earlier backlog (the demo still being folded) would be timed as part of the import.
            settle_until = time.monotonic() + args.settle
            while True:
                ends = await offsets.ends()
                backlog = {g.name: left_over(ends, await offsets.committed(g.name)) for g in groups}
                if not any(backlog.values()) or time.monotonic() > settle_until:
                    break
                say(f"  waiting for an earlier backlog to be folded: {backlog}")
                await asyncio.sleep(5)
            dead_before = await offsets.dead_lettered()
            await reserve(mongo, topics.prefix, args.seed, args.dossiers, start, end, len(dossier_records))

            ends = await offsets.ends()
            for group in groups:
                group.start = await offsets.committed(group.name)
                group.backlog = left_over(ends, group.start)
                group.sample(0.0, 0, group.backlog)
            say(
                f"publishing {len(catalogue_records)} catalogue and {len(dossier_records):,} dossier events; "
                f"then waiting up to {args.patience:.0f} s for {', '.join(g.name for g in groups)} …"
            )
            published = Published()
            began = time.monotonic()
            watching = asyncio.create_task(
                watch(offsets, groups, began, published, every=args.every, patience=args.patience)
            )
            try:
                await publish(kafka_servers, topics, catalogue_records, dossier_records, published)
            except Exception as exc:
                watching.cancel()
                raise Failed(f"publishing failed: {exc!r}") from exc
            say(f"  published in {published.catalogue_s + published.dossier_s:.1f} s")
            progress = asyncio.create_task(_progress(groups, began))
            try:
                await watching
            finally:
                progress.cancel()
            dead_lettered = await offsets.dead_lettered() - dead_before
    finally:
        await mongo.close()
    reporting = next(g for g in groups if g.service is services.REPORTING)
    counted = await reporting_count(start, end) if reporting.caught_up_s is not None else None

    finished_at = wall_clock()
    print(
        f"\nimport of {args.dossiers:,} dossiers submitted from {start} to {end - timedelta(days=1)} "
        f"(seed {args.seed}) into the running stack (topic prefix {topics.prefix!r}), "
        f"from {started_at} to {finished_at}, patience {args.patience:.0f} s\n"
    )
    print(table(["machine", ""], machine_rows(kafka_servers, mongodb_url, version, load_before)))
    print()
    total_s = published.catalogue_s + published.dossier_s
    print(
        table(
            ["published", "events", "seconds", "events/s"],
            [
                [
                    f"catalogue on {topics.catalog_events}",
                    f"{published.catalogue:,}",
                    f"{published.catalogue_s:.2f}",
                    rate(published.catalogue / published.catalogue_s) if published.catalogue else "-",
                ],
                [
                    f"dossier events on {topics.dossier_events}",
                    f"{published.dossier_events:,}",
                    f"{published.dossier_s:.2f}",
                    rate(published.dossier_events / published.dossier_s) if published.dossier_s else "-",
                ],
                [
                    "total",
                    f"{published.catalogue + published.dossier_events:,}",
                    f"{total_s:.2f}",
                    rate((published.catalogue + published.dossier_events) / total_s) if total_s else "-",
                ],
            ],
        )
    )
    print()
    print(table(GROUP_COLUMNS, group_rows(groups, published.catalogue + published.dossier_events, args.patience)))
    print(f"\n(on {', '.join(consumed)}; polled every {args.every:g} s)\n")
    for line in goal_lines(groups):
        print(line)
    print(machine_line(mongodb_url))

    failures = []
    if dead_lettered:
        failures.append(f"{dead_lettered} records landed on {' or '.join(dead_letters)} during the import")
    if counted is None:
        print("reporting's summary for the quarter: not checked (reporting had not caught up, or did not answer)")
    else:
        print(f"reporting's summary for the quarter: {counted:,} dossiers received, {args.dossiers:,} imported")
        if counted < args.dossiers:
            failures.append(f"reporting counts {counted:,} received dossiers of the {args.dossiers:,} imported")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


async def _progress(groups: list[Group], began: float, every: float = 30.0) -> None:
    while True:
        await asyncio.sleep(every)
        say(
            f"  after {time.monotonic() - began:.0f} s: "
            + ", ".join(f"{g.name} {'caught up' if g.caught_up_s is not None else f'{g.left:,} left'}" for g in groups)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=8000, help="dossiers to import (default %(default)s)")
    parser.add_argument("--months", type=int, default=3, help="months they were submitted over (default %(default)s)")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"seed of the histories (default: the first from {FIRST_SEED} that no import here used)",
    )
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="first day after the window, YYYY-MM-DD (default: the demo's first day, or an earlier import's)",
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=900.0,
        help="seconds from the start of publishing to wait for every group (default %(default)s)",
    )
    parser.add_argument("--every", type=float, default=1.0, help="seconds between polls (default %(default)s)")
    parser.add_argument(
        "--settle",
        type=float,
        default=120.0,
        help="seconds to wait first for an earlier backlog to be folded (default %(default)s)",
    )
    args = parser.parse_args()
    if args.dossiers < 1 or args.months < 1 or args.every <= 0 or args.patience <= 0:
        parser.error("--dossiers, --months, --every and --patience must be positive")
    try:
        sys.exit(asyncio.run(bench(args)))
    except Failed as failure:
        print(f"FAILED: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
