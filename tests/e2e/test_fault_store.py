"""Fault: the store stops (kill -9) under load. The services run as real processes on the shared broker and a
PRIVATE store (FerretDB or mongod from the project's native stack, stopped and started by this test).

While the store is away, the consumers acknowledge nothing (their backlog holds every event
published meanwhile, and nothing is dead-lettered for it) and intake answers 503 with Retry-After,
never a 500; once it is back they catch up: every acknowledged dossier and every event published
during the outage is in processing's dossiers and reporting's figures, each once. Slow: about a minute."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from motcua_shared.auth import Role
from motcua_stack import histories, load, services
from motcua_stack import topics as topic_admin
from support.deployment import Deployment, catalogue_events, header, publish_history
from support.ground_truth import Truth, caught_up, check_dossiers, play, procedures, records_in, reports, shown
from support.infrastructure import Infrastructure
from support.private_stack import PrivateStore

pytestmark = pytest.mark.slow  # each a minute or more: deselect with -m 'not slow'

OUTAGE_SECONDS = 20.0
DOSSIERS = 16
RATE = 1.0
HISTORY_START, HISTORY_END = date(2026, 4, 1), date(2026, 7, 1)
HISTORY_DOSSIERS = 6


@pytest.fixture
def private_store(tmp_path: Path) -> Iterator[PrivateStore]:
    store = PrivateStore(tmp_path / "store-home")
    try:
        store.start()
        yield store
    finally:
        store.stop()


async def test_consumers_hold_their_acknowledgements_while_the_store_is_away_and_catch_up(
    infrastructure: Infrastructure, private_store: PrivateStore, tmp_path: Path
) -> None:
    wired = Infrastructure(infrastructure.kafka_bootstrap_servers, private_store.mongodb_url, "private store")
    deployment = Deployment(
        "store",
        {"intake": 1, "processing": 1, "notification": 0, "reporting": 1},
        tmp_path / "services",
        wired,
        topic_family="faults",
    )
    bootstrap = wired.kafka_bootstrap_servers
    topics = deployment.topics
    await topic_admin.ensure_topics(bootstrap, topics, 3)
    history = histories.generate_histories(31, HISTORY_DOSSIERS, HISTORY_START, HISTORY_END, histories.read_catalogue())
    history_events = sum(len(h) for h in history)
    backlog: dict[str, int] = {}
    try:
        await asyncio.to_thread(deployment.start)
        await publish_history(deployment, catalogue_events(), [])
        scripts = load.plan(await procedures(deployment), DOSSIERS, seed=31)

        async def store_away() -> None:
            await asyncio.sleep(3.0)
            await asyncio.to_thread(private_store.crash)
            stopped = time.monotonic()
            # Events arriving while the store is away (an import, say) must wait, unacknowledged.
            await publish_history(deployment, [], history)
            await asyncio.sleep(OUTAGE_SECONDS / 2)
            for group in deployment.groups:
                backlog[group] = await topic_admin.lag(bootstrap, group, [topics.dossier_events])
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
            await asyncio.to_thread(private_store.start)

        stats, answers = await play(
            deployment,
            scripts,
            rate=RATE,
            run_id=f"store-{uuid.uuid4().hex[:6]}",
            patience_seconds=120,
            during=store_away,
        )
        print(f"backlog while the store was away: {backlog}\n{stats.summary()}")
        intake = [a for a in answers if a.url.startswith(deployment.url(services.INTAKE))]
        processing = [a for a in answers if a.url.startswith(deployment.url(services.PROCESSING))]
        print("intake:", Counter((a.status, a.code) for a in intake))
        print("processing:", Counter((a.status, a.code) for a in processing))

        # Nothing acknowledged while the store was away: every event published meanwhile was pending.
        assert set(backlog) == set(deployment.groups)
        assert all(behind >= history_events for behind in backlog.values()), backlog
        # Intake said so with 503 + Retry-After, never with a 500.
        assert [a for a in intake if a.status >= 500 and (a.status != 503 or not a.retry_after)] == []
        assert [a for a in processing if a.status >= 500 and (a.status != 503 or not a.retry_after)] == []
        assert any(a.status == 503 for a in intake), "intake never noticed the store was away"

        truth = Truth()
        truth.add(scripts, stats)
        await caught_up(deployment, patience=180)
        # The outage made no event a poison one.
        for topic in (topics.dossier_events, topics.catalog_events):
            assert await records_in(bootstrap, topic + ".dlq") == 0, f"{topic}.dlq is not empty"
        assert await reports(deployment) == truth.summary()
        await check_dossiers(deployment, truth)
        # The events published during the outage are folded, each once.
        official = header(Role.OFFICIAL)
        async with httpx.AsyncClient(timeout=30.0) as client:
            for events in history:
                code = events[0].data.dossier_code  # type: ignore[attr-defined]
                answer = await client.get(f"{deployment.url(services.PROCESSING)}/v1/dossiers/{code}", headers=official)
                assert answer.status_code == 200, answer.text
                folded = sorted(entry["event_id"] for entry in answer.json()["history"])
                assert folded == sorted(str(e.event_id) for e in events), code
            quarter: Any = await client.get(
                f"{deployment.url(services.REPORTING)}/v1/reports/summary",
                params={"from": HISTORY_START.isoformat(), "to": "2026-06-30"},
                headers=official,
            )
        assert quarter.status_code == 200, quarter.text
        assert shown(quarter.json())["received"] == sum(1 for h in history if h[0].occurred_at.date() < HISTORY_END)
    finally:
        deployment.stop()
        deployment.drop_databases()
