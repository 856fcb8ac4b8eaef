"""With the broker stopped, submissions get 503 + Retry-After, and when it comes back nothing is
published except what was acknowledged. Uses a PRIVATE Kafka (the project's stack module on free
ports and a temporary home), never the shared one."""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    read_records,
    running_intake,
    seed_catalogue,
    token,
)

SHARED_CACHE = Path(__file__).resolve().parents[2] / ".stack" / "cache"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kafka of this module alone; its jars come from the shared stack's cache (nothing downloaded)."""
    if not any(SHARED_CACHE.glob("kafka-libs-*/.complete")):
        pytest.skip("no cached Kafka jars under .stack/cache to start a private broker from")
    home = tmp_path_factory.mktemp("private-kafka")
    (home / "cache").symlink_to(SHARED_CACHE)
    saved = {
        k: os.environ.get(k)
        for k in ("MOTCUA_STACK_HOME", "MOTCUA_STACK_KAFKA_PORT", "MOTCUA_STACK_KAFKA_CONTROLLER_PORT")
    }
    os.environ.update(
        MOTCUA_STACK_HOME=str(home),
        MOTCUA_STACK_KAFKA_PORT=str(free_port()),
        MOTCUA_STACK_KAFKA_CONTROLLER_PORT=str(free_port()),
    )
    from motcua_stack import kafka, processes

    try:
        kafka.start()
        yield kafka.bootstrap_servers()
    finally:
        processes.stop("kafka")
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def create_topics(bootstrap: str, topics: Topics) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1) for t in topics.all()])
    finally:
        await admin.close()


@pytest_asyncio.fixture(loop_scope="session")
async def intake_on_private_kafka(
    private_kafka: str, infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[tuple[httpx.AsyncClient, Topics]]:
    topics = Topics(f"outage-{uuid.uuid4().hex[:8]}.")
    await create_topics(private_kafka, topics)
    settings = intake_settings(private_kafka, infrastructure.mongodb_url, mongo_db.name, topics, retry_after_seconds=3)
    async with running_intake(settings, **calendar_options()) as client:
        yield client, topics


async def test_submissions_during_an_outage_get_503_and_publish_nothing(
    intake_on_private_kafka: tuple[httpx.AsyncClient, Topics], private_kafka: str
) -> None:
    from motcua_stack import kafka, processes

    client, topics = intake_on_private_kafka
    agency = f"O{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(client, agency, {f"{agency}.1": 4})
    officer = token(Role.OFFICER, agency=agency)

    body = dossier_body(f"{agency}.1", agency, "direct")
    before = await client.post("/v1/dossiers", headers=idem(officer), json=body)
    assert before.status_code == 201, before.text

    processes.stop("kafka")
    began = time.monotonic()
    keys = [str(uuid.uuid4()) for _ in range(3)]
    during = await asyncio.gather(
        *(
            client.post("/v1/dossiers", headers=idem(officer, key), json=dossier_body(f"{agency}.1", agency, channel))
            for key, channel in zip(keys, ["direct", "postal", "direct"], strict=True)
        )
    )
    for response in during:
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "broker_unavailable"
        assert response.headers["Retry-After"] == "3"
    assert time.monotonic() - began < 30

    kafka.start()
    # Give a producer that kept anything buffered every chance to (wrongly) deliver it.
    await asyncio.sleep(5)
    records = await read_records(private_kafka, topics.dossier_events, until=lambda found: len(found) >= 2, settle=3.0)
    assert sorted(r.value["event_type"] for r in records) == ["dossier.accepted", "dossier.submitted"]
    assert {r.key for r in records} == {before.json()["dossier_id"]}

    # A retry with the same key now succeeds and publishes that dossier's pair once.
    retried = await client.post(
        "/v1/dossiers", headers=idem(officer, keys[0]), json=dossier_body(f"{agency}.1", agency, "direct")
    )
    assert retried.status_code == 201, retried.text
    records = await read_records(private_kafka, topics.dossier_events, until=lambda found: len(found) >= 4, settle=2.0)
    by_key: dict[str | None, list[str]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record.value["event_type"])
    assert by_key == {
        before.json()["dossier_id"]: ["dossier.submitted", "dossier.accepted"],
        retried.json()["dossier_id"]: ["dossier.submitted", "dossier.accepted"],
    }
