"""Session fixtures: the real broker and store, and names unique to this run so that runs never
see each other's data."""

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

sys.path.insert(0, str(Path(__file__).parent))

from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from support.infrastructure import Infrastructure, provide

# Quicker Kafka heartbeats for the services tests start in-process (support/heartbeats.py says why).
pytest_plugins = ["support.heartbeats"]

RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def run_id() -> str:
    return RUN_ID


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    with provide() as infra:
        yield infra


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def topics(infrastructure: Infrastructure, run_id: str) -> AsyncIterator[Topics]:
    """The contract's topics with a prefix of this run, created on the broker."""
    prefix = f"test-{run_id}."
    run_topics = Topics(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1) for name in run_topics.all()])
    finally:
        await admin.close()
    yield run_topics


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def mongo_client(infrastructure: Infrastructure) -> AsyncIterator[AsyncMongoClient[Any]]:
    client = make_mongo_client(infrastructure.mongodb_url)
    yield client
    await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def mongo_db(
    mongo_client: AsyncMongoClient[Any], run_id: str, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncDatabase[Any]]:
    """A database of this test alone, dropped afterwards."""
    name = f"t_{run_id}_{uuid.uuid4().hex[:6]}"
    db = mongo_client[name]
    yield db
    await mongo_client.drop_database(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each ring's marker comes from its folder: tests/unit, tests/integration, tests/e2e."""
    for item in items:
        ring = Path(item.fspath).relative_to(Path(__file__).parent).parts[0]
        if ring in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, ring))
