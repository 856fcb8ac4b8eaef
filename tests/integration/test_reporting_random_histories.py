"""Random but valid histories (motcua_stack.histories) published to the real broker and folded by
the real reporting consumer: for random periods, agencies and levels, every figure and percent of
the summary, the per-agency table, the online-service indicators and the monthly trend equals a
brute-force recount from the histories (test_reporting_oracle.py, which imports nothing of the
service). The same after every event is delivered a second time in a random order, after a rebuild
from offset zero, and after the consumer is stopped mid-stream and a new one takes over.

The seed is fixed so that the suite is repeatable; set REPORTING_HISTORY_SEED to try others."""

import asyncio
import os
import random
from datetime import date, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_reporting.adapters.read_models import active_generation, active_read_models
from motcua_reporting.service_layer.rebuild import rebuild
from motcua_shared import events as ev
from motcua_shared.calendar import load_calendar
from motcua_shared.topics import Topics
from motcua_stack.histories import catalogue_events, catalogue_key, generate_histories, read_catalogue
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_oracle import Oracle
from test_reporting_support import OFFICIAL, create_topics, folded, reporting_settings, running_reporting

SEED = int(os.environ.get("REPORTING_HISTORY_SEED", "20251"))
DOSSIERS = 150
START, END = date(2024, 10, 1), date(2025, 10, 1)
LEVELS = ("provincial", "district", "commune")
CALENDAR = load_calendar()


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, Any], list[list[ev.DossierEvent]], Oracle]:
    catalogue = read_catalogue()
    histories = generate_histories(SEED, DOSSIERS, START, END, catalogue, calendar=CALENDAR)
    return catalogue, histories, Oracle(catalogue, histories, CALENDAR)


@pytest.fixture
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    return await create_topics(infrastructure.kafka_bootstrap_servers, run_id)


def queries(seed: int, catalogue: dict[str, Any], n: int) -> list[tuple[date, date, str | None, str | None]]:
    """Random periods (quarters, months, arbitrary spans, a whole year), agencies and levels."""
    rng = random.Random(seed)
    agencies = [a["agency_code"] for a in catalogue["agencies"]]
    found = [(date(2025, 1, 1), date(2025, 3, 31), None, None), (date(2024, 1, 1), date(2025, 12, 31), None, None)]
    while len(found) < n:
        shape = rng.choice(["quarter", "month", "span"])
        if shape == "quarter":
            year, q = rng.choice([(2024, 4), (2025, 1), (2025, 2), (2025, 3), (2025, 4)])
            first = date(year, 3 * q - 2, 1)
            last = (first + timedelta(days=95)).replace(day=1) - timedelta(days=1)
        elif shape == "month":
            first = date(rng.choice([2024, 2025]), rng.randint(1, 12), 1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        else:
            first = START + timedelta(days=rng.randint(-20, 330))
            last = first + timedelta(days=rng.randint(0, 120))
        agency = rng.choice(agencies) if rng.random() < 0.5 else None
        level = rng.choice(LEVELS) if rng.random() < 0.4 else None
        found.append((first, last, agency, level))
    return found


async def compare_with_oracle(
    client: Any, oracle: Oracle, asked: list[tuple[date, date, str | None, str | None]], when: str
) -> None:
    for first, last, agency, level in asked:
        params = {"from": first.isoformat(), "to": last.isoformat()}
        if agency:
            params["agency_code"] = agency
        if level:
            params["admin_level"] = level
        where = f"{when}, seed {SEED}, {params}"

        got = (await client.get("/v1/reports/summary", params=params, headers=OFFICIAL)).json()
        assert got == oracle.summary(first, last, agency, level), where

        table = (await client.get("/v1/reports/agencies", params=params, headers=OFFICIAL)).json()
        expected_rows = oracle.agency_rows(first, last, agency, level)
        rows = {row["agency_code"]: row for row in table["data"]}
        assert set(expected_rows) <= set(rows), where
        for code, row in rows.items():
            assert row == expected_rows.get(code, oracle.zero_row(code)), f"{where}, agency row {code}"
        assert table["count"] == len(table["data"])
        received = [row["received"]["total"] for row in table["data"]]
        assert received == sorted(received, reverse=True), where

        online = (await client.get("/v1/reports/online-services", params=params, headers=OFFICIAL)).json()
        assert online == oracle.online(first, last, agency, level), where

        trend = (await client.get("/v1/reports/trend", params=params, headers=OFFICIAL)).json()
        assert trend == oracle.trend(first, last, agency, level), where


async def publish_records(
    bootstrap: str, topics: Topics, catalogue: list[ev.Envelope], dossier_events: list[ev.DossierEvent]
) -> None:
    """Catalogue then dossier events, in the given order, keyed as the contract says (one producer,
    awaited at the end, so that per-key order on the topic is the order given)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sent = [
            await producer.send(topics.catalog_events, e.to_bytes(), key=catalogue_key(e).encode()) for e in catalogue
        ]
        sent += [
            await producer.send(topics.dossier_events, e.to_bytes(), key=e.dossier_id.encode()) for e in dossier_events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def interleaved(histories: list[list[ev.DossierEvent]], rng: random.Random) -> list[ev.DossierEvent]:
    """All events, dossiers interleaved at random, each dossier's in the order it lived them."""
    queues = [list(h) for h in histories]
    out: list[ev.DossierEvent] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return out


async def consumed_everything(bootstrap: str, group: str, topics: Topics, wait: float = 60.0) -> None:
    """Wait until the consumer group has committed the end offset of every partition of both topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in (topics.catalog_events, topics.dossier_events) for p in range(3)]
        ends = await consumer.end_offsets(tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while loop.time() < deadline:
            committed = await admin.list_consumer_group_offsets(group)
            if all(committed.get(tp) is not None and committed[tp].offset >= ends[tp] for tp in tps):
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"group {group} did not consume everything: {committed} < {ends}")
    finally:
        await consumer.stop()
        await admin.close()


async def applied_events(db: AsyncDatabase[Any]) -> int:
    models = await active_read_models(db)
    return sum([len(d["applied"]) async for d in models.dossiers.find({}, {"applied": 1})])


async def test_every_figure_equals_a_recount_once_twice_and_after_a_rebuild(
    infrastructure: Infrastructure,
    own_topics: Topics,
    mongo_db: AsyncDatabase[Any],
    world: Any,
) -> None:
    catalogue, histories, oracle = world
    kafka = infrastructure.kafka_bootstrap_servers
    rng = random.Random(SEED)
    events = [e for h in histories for e in h]
    agencies, procedures = len(catalogue["agencies"]), len(catalogue["procedures"])
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    asked = queries(SEED, catalogue, 14)
    seed_events = catalogue_events(catalogue, occurred_at=oracle_start())

    await publish_records(kafka, own_topics, seed_events, interleaved(histories, rng))
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=len(events), agencies=agencies, procedures=procedures)
        await compare_with_oracle(client, oracle, asked, "delivered once")

        # Everything again, in any order at all (a replay, an import, a producer retrying).
        again = list(events)
        rng.shuffle(again)
        await publish_records(kafka, own_topics, seed_events, again)
        await consumed_everything(kafka, settings.consumer_group, own_topics)
        await folded(mongo_db, dossier_events=len(events), agencies=agencies, procedures=procedures)
        await compare_with_oracle(client, oracle, asked, "delivered twice")

        report = await rebuild(settings, catch_up_pause=0.5)
        assert await active_generation(mongo_db) == report.generation
        assert report.events[own_topics.dossier_events] == 2 * len(events)
        await folded(mongo_db, dossier_events=len(events), agencies=agencies, procedures=procedures)
        await compare_with_oracle(client, oracle, asked, "after a rebuild")


async def test_every_figure_equals_a_recount_after_a_restart_mid_stream(
    infrastructure: Infrastructure,
    own_topics: Topics,
    mongo_db: AsyncDatabase[Any],
    world: Any,
) -> None:
    catalogue, histories, oracle = world
    kafka = infrastructure.kafka_bootstrap_servers
    events = [e for h in histories for e in h]
    # Small batches, so that the first consumer is stopped with the stream half folded.
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics, batch_max_records=20)
    await publish_records(
        kafka,
        own_topics,
        catalogue_events(catalogue, occurred_at=oracle_start()),
        interleaved(histories, random.Random(SEED + 1)),
    )
    async with running_reporting(settings):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while await applied_events(mongo_db) < len(events) // 3 and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    stopped_at = await applied_events(mongo_db)
    assert 0 < stopped_at < len(events), "the first consumer should stop mid-stream"

    async with running_reporting(settings) as client:
        await folded(
            mongo_db,
            dossier_events=len(events),
            agencies=len(catalogue["agencies"]),
            procedures=len(catalogue["procedures"]),
        )
        await compare_with_oracle(client, oracle, queries(SEED + 1, catalogue, 10), f"restarted after {stopped_at}")


def oracle_start() -> Any:
    from datetime import datetime

    from motcua_shared.calendar import PROVINCE_TZ

    return datetime.combine(START - timedelta(days=30), datetime.min.time(), tzinfo=PROVINCE_TZ)
