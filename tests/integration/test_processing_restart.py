"""Kill the processing process (SIGKILL) in the middle of a stream of events and restart it: no
event is applied twice, none is lost, and no dossier is announced overdue twice."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    SECRET,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    publish,
    read_records,
    submitted,
)

DOSSIERS = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(infra: Infrastructure, topics: Topics, database: str, group: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MOTCUA_PROCESSING_KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap_servers,
        "MOTCUA_PROCESSING_MONGODB_URL": infra.mongodb_url,
        "MOTCUA_PROCESSING_MONGODB_DATABASE": database,
        "MOTCUA_PROCESSING_TOPIC_PREFIX": topics.prefix,
        "MOTCUA_PROCESSING_CONSUMER_GROUP": group,
        "MOTCUA_PROCESSING_JWT_SECRET": SECRET,
        "MOTCUA_PROCESSING_HTTP_PORT": str(_free_port()),
        "MOTCUA_PROCESSING_SCHEDULER_INTERVAL_SECONDS": "0.1",
        "MOTCUA_PROCESSING_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from motcua_processing.main import main; main()"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _life(dossier_id: str, code: str, agency: str, procedure: str) -> list[ev.DossierEvent]:
    """Received at the counter a month ago, suspended and resumed; due an hour ago (so overdue now)."""
    now = datetime.now(PROVINCE_TZ)
    received = now - timedelta(days=30)
    due = now - timedelta(hours=1)

    def at(hours: int) -> datetime:
        return received + timedelta(hours=hours)

    return [
        submitted(dossier_id, code, agency, procedure, received, channel=ev.Channel.DIRECT),
        ev.DossierAccepted(
            occurred_at=at(0),
            source="intake-service",
            dossier_id=dossier_id,
            data=ev.AcceptedData(due_at=due - timedelta(days=1)),
        ),
        ev.DossierSuspended(
            occurred_at=at(1), source="integrator", dossier_id=dossier_id, data=ev.SuspendedData(reason="Chờ ý kiến")
        ),
        ev.DossierResumed(
            occurred_at=at(2), source="integrator", dossier_id=dossier_id, data=ev.ResumedData(due_at=due)
        ),
    ]


async def test_kill_and_restart_applies_each_event_once_and_announces_overdue_once(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any], run_id: str
) -> None:
    lives = []
    for _ in range(DOSSIERS):
        agency, procedure, dossier_id, code = new_codes()
        lives.append(_life(dossier_id, code, agency, procedure))
    stream = [event for life in lives for event in life]
    group = f"processing-restart-{run_id}-{mongo_db.name[-6:]}"
    dossiers = mongo_db["dossiers"]

    first = _start(infrastructure, topics, mongo_db.name, group)
    try:
        await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, stream, key=lambda e: e.dossier_id)
        # kill it as soon as it has folded something, mid-stream
        assert await eventually(lambda: dossiers.count_documents({}), wait=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()

    # Replays arrive too (an integrator re-sends a tenth of the stream).
    await publish(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        stream[: len(stream) // 10],
        key=lambda e: e.dossier_id,
    )
    second = _start(infrastructure, topics, mongo_db.name, group)
    try:

        async def all_overdue() -> bool:
            return await dossiers.count_documents({"overdue_at": {"$ne": None}}) == DOSSIERS

        # The clock announces its sweep's dossiers in chunks (a second or two for these on a loaded machine).
        assert await eventually(all_overdue, wait=90), "not every dossier was folded and announced after restart"
        await asyncio.sleep(1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    async for doc in dossiers.find({}):
        history = [h["event_type"] for h in doc["history"]]
        # The clock may announce while the pause is still on its way (a busy consumer): then the
        # announcement sits before it in the history. Either way, once, and every other event in order.
        assert [e for e in history if e != "dossier.overdue"] == [
            "dossier.submitted",
            "dossier.accepted",
            "dossier.suspended",
            "dossier.resumed",
        ], (doc["_id"], history)
        assert history.count("dossier.overdue") == 1, (doc["_id"], history)
        assert doc["anomalies"] == [], doc["anomalies"]
        assert len({h["event_id"] for h in doc["history"]}) == len(history)

    ids = {life[0].dossier_id for life in lives}
    records = await read_records(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        match=lambda r: r.key in ids and isinstance(r.value, dict) and r.value.get("event_type") == "dossier.overdue",
        until=lambda found: len(found) >= DOSSIERS,
        settle=2,
        wait=60,
    )
    per_dossier = Counter(r.key for r in records)
    # One overdue event id per dossier; a record may only repeat if the process died between
    # publishing and marking the claim published (same event id, applied once by every consumer).
    assert set(per_dossier) == ids
    assert all(len({r.value["event_id"] for r in records if r.key == key}) == 1 for key in ids)
