"""Fault: the Kafka broker stops for 30 seconds under load. The services run as real processes on a
PRIVATE broker (stopped and started by this test; the shared one is never touched) and the shared store.

While the broker is away, intake answers a submission 201 (acknowledged) or 503 with Retry-After,
never another 5xx; once it is back, every acknowledged submission, and every action acknowledged
on it, is in processing's dossiers and in reporting's summary. Slow: about a minute and a half."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from motcua_stack import load, services
from motcua_stack import topics as topic_admin
from support.deployment import Deployment, catalogue_events, publish_history
from support.ground_truth import Truth, caught_up, check_dossiers, play, procedures, reports
from support.infrastructure import Infrastructure
from support.private_stack import PrivateKafka

pytestmark = pytest.mark.slow  # each a minute or more: deselect with -m 'not slow'

OUTAGE_SECONDS = 30.0
DOSSIERS = 24
RATE = 0.6  # dossiers a second: submissions go on for 40 s, through the whole outage


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[PrivateKafka]:
    broker = PrivateKafka(tmp_path / "kafka-home")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


async def test_intake_answers_503_while_the_broker_is_away_and_nothing_acknowledged_is_lost(
    infrastructure: Infrastructure, private_kafka: PrivateKafka, tmp_path: Path
) -> None:
    wired = Infrastructure(private_kafka.bootstrap_servers, infrastructure.mongodb_url, "private broker")
    deployment = Deployment(
        "broker",
        {"intake": 1, "processing": 1, "notification": 0, "reporting": 1},
        tmp_path / "services",
        wired,
        topic_family="faults",
        extra_env={"MOTCUA_INTAKE_RETRY_AFTER_SECONDS": "2"},
    )
    await topic_admin.ensure_topics(wired.kafka_bootstrap_servers, deployment.topics, 3)
    outage: dict[str, float] = {}
    try:
        await asyncio.to_thread(deployment.start)
        await publish_history(deployment, catalogue_events(), [])
        scripts = load.plan(await procedures(deployment), DOSSIERS, seed=21)

        async def broker_away() -> None:
            await asyncio.sleep(4.0)
            await asyncio.to_thread(private_kafka.stop)
            outage["stopped"] = time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            outage["restarting"] = time.monotonic()
            await asyncio.to_thread(private_kafka.start)
            outage["back"] = time.monotonic()

        stats, answers = await play(
            deployment,
            scripts,
            rate=RATE,
            run_id=f"broker-{uuid.uuid4().hex[:6]}",
            patience_seconds=180,
            during=broker_away,
        )
        print(
            f"broker stopped for {outage['restarting'] - outage['stopped']:.0f}s, "
            f"listening again {outage['back'] - outage['restarting']:.0f}s later\n{stats.summary()}"
        )
        intake = [a for a in answers if a.url.startswith(deployment.url(services.INTAKE))]
        processing = [a for a in answers if a.url.startswith(deployment.url(services.PROCESSING))]
        print("intake:", Counter((a.status, a.code) for a in intake))
        print("processing:", Counter((a.status, a.code) for a in processing))

        # During the outage intake said 503 + Retry-After, never another 5xx, never a 500.
        unavailable = [a for a in intake if a.status == 503]
        assert unavailable, "intake never noticed the broker was away"
        assert {a.code for a in unavailable} == {"broker_unavailable"}
        assert all(a.retry_after == "2" for a in unavailable)
        assert [a for a in intake if a.status >= 500 and a.status != 503] == []
        assert [a for a in processing if a.status >= 500 and a.status != 503] == []

        truth = Truth()
        truth.add(scripts, stats)
        await caught_up(deployment, patience=180)
        assert await reports(deployment) == truth.summary()
        await check_dossiers(deployment, truth)
    finally:
        deployment.stop()
        deployment.drop_databases()
