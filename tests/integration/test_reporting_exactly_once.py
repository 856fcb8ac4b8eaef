"""Exactly once on the real store: a crash between the dossier write and the counter writes is
repaired; stale or repeated counter operations change nothing; a rebuild from offset zero ends with
the same numbers."""

import asyncio
import os
import sys
from typing import Any

import pytest
from motcua_reporting.adapters.counter_store import CounterStore
from motcua_reporting.adapters.dossier_store import DossierProjection
from motcua_reporting.adapters.read_models import ReadModels, active_generation
from motcua_reporting.rebuild import rebuild
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_summary import DOSSIER_EVENTS, EXPECTED_Q1, Q1, summary
from test_reporting_support import (
    OFFICIAL,
    create_topics,
    folded,
    publish,
    reporting_settings,
    running_reporting,
    scenario_catalogue,
    scenario_histories,
    scrambled,
)


async def counts(models: ReadModels) -> dict[str, int]:
    return {doc["_id"]: doc["n"] async for doc in models.counters.find({"n": {"$ne": 0}}, {"n": 1})}


async def test_a_crash_between_the_dossier_and_the_counters_is_repaired(
    mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    projection = DossierProjection(models)
    events = scenario_histories()["D1"].events
    for event in events[:2]:
        assert await projection.apply(event)
    healthy = await counts(models)
    assert len(healthy) == 1  # received

    original = CounterStore.apply

    async def crash(self: CounterStore, dossier_id: str, pending: dict[str, Any]) -> None:
        raise ConnectionError("the store went away")

    monkeypatch.setattr(CounterStore, "apply", crash)
    with pytest.raises(ConnectionError):
        await projection.apply(events[2])  # the result: the dossier doc is written, the counters not
    monkeypatch.setattr(CounterStore, "apply", original)
    doc = await models.dossiers.find_one({"_id": "D1"})
    assert doc is not None and doc["pending"]["add"] and await counts(models) == healthy

    # The event is delivered again (it was never acknowledged): applied once, counters repaired.
    assert not await projection.apply(events[2])
    repaired = await counts(models)
    assert sum(repaired.values()) == 2 and any('"resolved"' in k and '"early"' in k for k in repaired)
    assert await models.dossiers.count_documents({"pending": {"$exists": True}}) == 0
    for event in events:
        await projection.apply(event)
        await projection.apply(event)
    assert sum((await counts(models)).values()) == 4  # received, resolved, returned by post, rated


async def test_counter_operations_are_idempotent_and_never_undone_by_a_stale_one(
    mongo_db: AsyncDatabase[Any],
) -> None:
    store = CounterStore(mongo_db["counters"])
    key = '["received", "2020-01-06", "STNMT", "1.001", "direct"]'
    for _ in range(3):
        await store.join(key, "d-1", 2)
    await store.join(key, "d-2", 1)
    assert (await mongo_db["counters"].find_one({"_id": key}))["n"] == 2
    await store.leave(key, "d-1", 3)
    await store.leave(key, "d-1", 3)
    await store.join(key, "d-1", 2)  # a stale retry of version 2 must not bring it back
    assert (await mongo_db["counters"].find_one({"_id": key}))["n"] == 1
    # A leave that arrives before its join leaves a tombstone the older join respects.
    other = '["received", "2020-01-07", "STNMT", "1.001", "direct"]'
    await store.leave(other, "d-3", 5)
    await store.join(other, "d-3", 4)
    assert (await mongo_db["counters"].find_one({"_id": other}))["n"] == 0
    await store.join(other, "d-3", 6)
    assert (await mongo_db["counters"].find_one({"_id": other}))["n"] == 1


@pytest.fixture
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    return await create_topics(infrastructure.kafka_bootstrap_servers, run_id)


async def test_rebuild_from_offset_zero_ends_with_the_same_numbers(
    infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    events = scrambled(scenario_histories())
    await publish(kafka, own_topics, [*events, *scenario_catalogue(), *events[:20]])  # some twice
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=DOSSIER_EVENTS, agencies=4, procedures=5)
        assert await summary(client) == EXPECTED_Q1
        table_before = (await client.get("/v1/reports/agencies", params=Q1, headers=OFFICIAL)).json()

        report = await rebuild(settings, catch_up_pause=0.5)
        assert await active_generation(mongo_db) == report.generation
        assert report.events[own_topics.dossier_events] == DOSSIER_EVENTS + 20
        assert await summary(client) == EXPECTED_Q1
        assert (await client.get("/v1/reports/agencies", params=Q1, headers=OFFICIAL)).json() == table_before

    # The command line, as an operator runs it: another fresh generation, the same numbers.
    env = {**os.environ, "MOTCUA_REPORTING_KAFKA_BOOTSTRAP_SERVERS": kafka,
           "MOTCUA_REPORTING_MONGODB_URL": infrastructure.mongodb_url,
           "MOTCUA_REPORTING_MONGODB_DATABASE": mongo_db.name, "MOTCUA_REPORTING_TOPIC_PREFIX": own_topics.prefix}
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "motcua_reporting", "rebuild", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, stderr.decode()
    assert await active_generation(mongo_db) not in ("", report.generation)
    async with running_reporting(settings, consume=False) as client:
        assert await summary(client) == EXPECTED_Q1
