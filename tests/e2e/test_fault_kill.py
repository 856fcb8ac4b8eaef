"""Fault: kill -9 a consumer service at a random moment of a generated load, start it again, and
compare. All four services run as real processes on the real broker and store; notification sends to
a real SMTP server and a real HTTP receiver (SMS gateway, webhooks) in this process.

One deployment serves the module; each case plays a new seeded load (its own applicants) and kills
one service once, at a moment and for a time drawn from its seed. Afterwards, for the dossiers it
acknowledged: processing shows the status each acknowledged life ended in, what the case added to
reporting's summary equals the ground truth, and no notification reached anyone twice. Slow: 30 s to 2 min
a case, depending on how busy the machine is."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from motcua_shared.auth import Role
from motcua_stack import load, services
from motcua_stack import topics as topic_admin
from support.deployment import Deployment, catalogue_events, header, publish_history
from support.ground_truth import (
    Truth,
    caught_up,
    check_dossiers,
    minus,
    notification_history,
    play,
    procedures,
    reports,
)
from support.infrastructure import Infrastructure
from support.receivers import (
    SMS_PATH,
    WEBHOOK_PATH,
    HttpReceiver,
    SmtpSink,
    http_receiver,
    notification_env,
    sent_twice,
    smtp_sink,
)

pytestmark = pytest.mark.slow  # each a minute or more: deselect with -m 'not slow'

SEEDS = (1, 2, 3)
VICTIMS = ("processing", "reporting", "notification")
DOSSIERS = 12
RATE = 6.0  # dossiers a second: the submissions take 2 s, the lives a few more
# How long an officer keeps retrying a step. On a busy machine a restarted processing answers some
# requests only after the load's 30 s HTTP timeout while it catches up; 60 s proved too short.
PATIENCE = 150.0


@dataclass
class Stack:
    deployment: Deployment
    smtp: SmtpSink
    gateway: HttpReceiver
    procedures: list[dict[str, Any]]


@pytest_asyncio.fixture(scope="module")
async def stack(infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            deployment = Deployment(
                "kill",
                {"intake": 1, "processing": 1, "notification": 1, "reporting": 1},
                tmp_path_factory.mktemp("fault-kill"),
                infrastructure,
                topic_family="faults",
                extra_env=notification_env(smtp, gateway),
            )
            await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, deployment.topics, 3)
            try:
                await asyncio.to_thread(deployment.start)
                await publish_history(deployment, catalogue_events(), [])
                async with httpx.AsyncClient(timeout=30.0) as client:
                    hook = await client.post(
                        f"{deployment.url(services.NOTIFICATION)}/v1/webhooks",
                        headers=header(Role.ADMIN),
                        json={
                            "url": gateway.url(WEBHOOK_PATH),
                            "event_types": ["dossier.submitted", "dossier.returned"],
                        },
                    )
                    assert hook.status_code == 201, hook.text
                yield Stack(deployment, smtp, gateway, await procedures(deployment))
            finally:
                deployment.stop()
                deployment.drop_databases()


@pytest.mark.parametrize("victim", VICTIMS)
@pytest.mark.parametrize("seed", SEEDS)
async def test_a_consumer_killed_mid_load_and_restarted_loses_and_repeats_nothing(
    stack: Stack, seed: int, victim: str
) -> None:
    deployment = stack.deployment
    service = services.BY_NAME[victim]
    rng = random.Random(f"kill-{seed}-{victim}")
    # Each case its own applicants (phone numbers come from the plan's seed).
    scripts = load.plan(stack.procedures, DOSSIERS, seed=10 * seed + VICTIMS.index(victim))
    kill_at = rng.uniform(0.3, DOSSIERS / RATE + 1.5)
    down_for = rng.uniform(0.2, 2.0)
    killed: list[int] = []
    before = await reports(deployment)  # what earlier cases left: each case is compared on its own
    received_before = len(stack.gateway.requests)

    async def fault() -> None:
        await asyncio.sleep(kill_at)
        killed.append(deployment.kill(service))
        await asyncio.sleep(down_for)
        await asyncio.to_thread(deployment.start_one, service)

    stats, _ = await play(
        deployment,
        scripts,
        rate=RATE,
        run_id=f"kill-{seed}-{victim}-{uuid.uuid4().hex[:6]}",
        patience_seconds=PATIENCE,
        during=fault,
    )
    print(f"seed {seed}: {victim} killed {kill_at:.1f}s into the load, down {down_for:.1f}s\n{stats.summary()}")
    assert killed, "the fault did not happen"
    assert deployment.logs()[victim].count("Application startup complete") >= 2, "not restarted"
    truth = Truth()
    truth.add(scripts, stats)

    await caught_up(deployment)
    history = await notification_history(deployment, list(truth.lives), wait=90)

    # What this case added to reporting's figures equals the ground truth of what it acknowledged.
    assert minus(await reports(deployment), before) == truth.summary()
    await check_dossiers(deployment, truth)

    # Nothing reached anyone twice, by what really arrived ...
    assert sent_twice(stack.smtp, stack.gateway) == {}
    # ... nor was planned twice: one notification per (event, recipient, channel).
    planned = [(n["cause_event_id"], n["recipient"], n["channel"]) for n in history]
    assert len(planned) == len(set(planned)), "a notification planned twice"
    statuses = {n["status"] for n in history}
    # Only a send cut off by killing notification itself may be unknown (at most once, never twice).
    done = {"sent", "delivered"}  # delivered: a webhook receiver answered 2xx
    assert statuses <= (done | {"unknown"} if victim == "notification" else done), statuses
    # Every notification marked sent arrived once; nothing arrived that is not in the history.
    # (Earlier cases' notifications were all final when they ended: whatever arrived since is this case's.)
    requests = stack.gateway.requests[received_before:]
    arrived = {r.json()["reference"] for r in requests if r.path == SMS_PATH}
    arrived |= {r.headers.get("x-motcua-notification-id") for r in requests if r.path == WEBHOOK_PATH}
    sent = {n["notification_id"] for n in history if n["status"] in done}
    everything = {n["notification_id"] for n in history}
    assert sent <= arrived, f"{len(sent - arrived)} marked sent never arrived"
    assert arrived <= everything, f"{len(arrived - everything)} arrived without a record"
    assert {n["channel"] for n in history} >= {"sms", "webhook"}
