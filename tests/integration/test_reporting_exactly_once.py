"""Exactly once on the real store: a crash between the dossier write and the counter writes is
repaired by the next writer; a claim applied again changes nothing; a rebuild from offset zero ends
with the same numbers."""

import asyncio
import os
import sys
from typing import Any

import pytest
from motcua_reporting.adapters.counter_store import CounterStore
from motcua_reporting.adapters.counters import Counters
from motcua_reporting.adapters.dossier_store import DossierProjection
from motcua_reporting.adapters.read_models import ReadModels, active_generation
from motcua_reporting.service_layer.rebuild import rebuild
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
    """The monthly totals of the flows (received, resolved, ...)."""
    return await Counters(models).months.totals()


async def open_changes(models: ReadModels) -> int:
    """The sum of every open-state change: the dossiers open now (0 once every dossier is closed)."""
    return sum((await Counters(models).open_years.totals()).values())


async def test_a_crash_between_the_dossier_and_the_counters_is_repaired(
    mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    projection = DossierProjection(models)
    events = scenario_histories()["D1"].events
    assert await projection.fold_events(events[:2]) == 2
    healthy = await counts(models)
    assert len(healthy) == 1  # received
    assert await open_changes(models) == 1  # and open

    original = CounterStore.apply_claim

    async def crash(self: CounterStore, *args: Any) -> int:
        raise ConnectionError("the store went away")

    monkeypatch.setattr(CounterStore, "apply_claim", crash)
    with pytest.raises(ConnectionError):
        await projection.fold_events([events[2]])  # the result: the dossier doc is written, the counters not
    monkeypatch.setattr(CounterStore, "apply_claim", original)
    assert await counts(models) == healthy
    assert await projection.unfinished() == 1

    # Another process (the first one died) finds the unfinished claim and applies it once more.
    successor = DossierProjection(models, takeover_after=0.2)
    assert await successor.fold_events([events[2]]) == 0  # already applied by the claim it took over
    repaired = await counts(models)
    assert sum(repaired.values()) == 2 and any('"resolved"' in k and '"early"' in k for k in repaired)
    assert await open_changes(models) == 0  # resolved: no longer open
    assert await successor.unfinished() == 0
    for event in events:
        await successor.fold_events([event, event])
    assert sum((await counts(models)).values()) == 4  # received, resolved, returned by post, rated
    doc = await models.dossiers.find_one({"_id": "D1"})
    assert doc is not None and sorted(doc["applied"]) == sorted(str(e.event_id) for e in events)


async def test_a_claim_applied_again_changes_only_the_documents_it_had_not_reached(
    mongo_db: AsyncDatabase[Any],
) -> None:
    store = CounterStore(mongo_db["counters"], mongo_db["streams"])
    a = '["received", "2020-01-06", "STNMT", "1.001", "direct"]'
    b = '["received", "2020-01-07", "STNMT", "1.001", "direct"]'
    c = '["received", "2020-02-03", "STNMT", "1.001", "direct"]'
    assert await store.apply_claim("p0", 0, 9, {a: 2, b: 1}) == 1  # one document: p0, January 2020
    assert await store.apply_claim("p0", 0, 9, {a: 2, b: 1}) == 0  # the same claim again
    assert await store.apply_claim("p1", 0, 4, {a: 1}) == 1  # another partition: its own document
    assert await store.apply_claim("p0", 10, 12, {a: -1, c: 1}) == 2
    assert await store.apply_claim("p0", 10, 12, {a: -1, c: 1}) == 0
    assert await store.totals() == {a: 2, b: 1, c: 1}
    rows = await store.rows(["received"], "2020-01-07", "2020-02-03")
    assert sorted((key.id, n) for key, n in rows) == [(b, 1), (c, 1)]


async def test_a_writer_that_never_wrote_a_dossier_adds_to_the_document_it_finds(mongo_db: AsyncDatabase[Any]) -> None:
    # A writer inserts a dossier it has not written lately without reading it first; another
    # process wrote it, so the insert finds it there, and the facts are added to it all the same.
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    events = scenario_histories()["D1"].events
    assert await DossierProjection(models).fold_events(events[:2]) == 2
    assert await DossierProjection(models).fold_events(events[2:]) == len(events) - 2
    doc = await models.dossiers.find_one({"_id": "D1"})
    assert doc is not None and sorted(doc["applied"]) == sorted(str(e.event_id) for e in events)
    assert sum((await counts(models)).values()) == 4  # received, resolved, returned by post, rated
    assert await open_changes(models) == 0


async def test_a_counter_store_reads_again_what_another_writer_changed(mongo_db: AsyncDatabase[Any]) -> None:
    one = CounterStore(mongo_db["counters"], mongo_db["streams"])
    two = CounterStore(mongo_db["counters"], mongo_db["streams"])
    a = '["received", "2020-01-06", "STNMT", "1.001", "direct"]'
    assert await one.apply_claim("p0", 0, 9, {a: 1}) == 1  # one keeps the document it wrote
    assert await two.apply_claim("p0", 10, 12, {a: 1}) == 1  # the stream's next claim: another writer
    assert await one.apply_claim("p0", 13, 15, {a: 1}) == 1  # not after its own: read again
    # A writer told the chain began with it, where another wrote already: its insert finds the
    # document, which it reads and adds to.
    assert await two.apply_claim("p1", 0, 4, {a: 1}) == 1
    one.began("p1", 5)
    assert await one.apply_claim("p1", 5, 6, {a: 1}) == 1
    assert await one.totals() == {a: 5}


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
    env = {
        **os.environ,
        "MOTCUA_REPORTING_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "MOTCUA_REPORTING_MONGODB_URL": infrastructure.mongodb_url,
        "MOTCUA_REPORTING_MONGODB_DATABASE": mongo_db.name,
        "MOTCUA_REPORTING_TOPIC_PREFIX": own_topics.prefix,
    }
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "motcua_reporting",
        "rebuild",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(command.communicate(), timeout=120)
    assert command.returncode == 0, stderr.decode()
    assert await active_generation(mongo_db) not in ("", report.generation)
    async with running_reporting(settings, consume=False) as client:
        assert await summary(client) == EXPECTED_Q1
