"""Chooses the real Kafka broker and MongoDB-protocol store the tests talk to, in this order:
1. `KAFKA_BOOTSTRAP_SERVERS` / `MONGODB_URL` from the environment;
2. testcontainers, when a Docker engine answers;
3. the project's native stack (`motcua-stack`), started here and stopped at the end if we started it."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    mongodb_url: str
    origin: str  # "environment", "testcontainers" or "native"


def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def provide() -> Iterator[Infrastructure]:
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    mongo_env = os.environ.get("MONGODB_URL")
    with contextlib.ExitStack() as cleanup:
        origin = "environment"
        if not (kafka_env and mongo_env):
            if docker_engine_answers():
                origin = "testcontainers"
                kafka_c, mongo_c = _containers(cleanup, need_kafka=not kafka_env, need_mongo=not mongo_env)
                kafka_env = kafka_env or kafka_c
                mongo_env = mongo_env or mongo_c
            else:
                origin = "native"
                from motcua_stack import ensure_running, stop

                endpoints = ensure_running()
                if endpoints.started:
                    cleanup.callback(stop, endpoints.started)
                kafka_env = kafka_env or endpoints.kafka_bootstrap_servers
                mongo_env = mongo_env or endpoints.mongodb_url
        assert kafka_env and mongo_env
        asyncio.run(warm_up(kafka_env))
        yield Infrastructure(kafka_env, mongo_env, origin)


async def warm_up(bootstrap_servers: str, *, patience: float = 180.0) -> None:
    """Have one consumer group join, read and commit before any test runs. On a broker formatted a
    moment ago the first group makes Kafka create `__consumer_offsets` (50 partitions) and elect its
    coordinators, which can take a minute on a small machine: time the first tests must not pay."""
    topic = f"warm-up-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=f"{topic}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        await asyncio.wait_for(consumer.getone(), patience)
        await consumer.commit()
    finally:
        await consumer.stop()


def _containers(cleanup: contextlib.ExitStack, *, need_kafka: bool, need_mongo: bool) -> tuple[str | None, str | None]:
    kafka = mongo = None
    if need_kafka:
        from testcontainers.kafka import KafkaContainer

        container = cleanup.enter_context(KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft())
        kafka = container.get_bootstrap_server()
    if need_mongo:
        from testcontainers.mongodb import MongoDbContainer

        container = cleanup.enter_context(MongoDbContainer("mongo:8.0", username=None, password=None))
        mongo = container.get_connection_url()
    return kafka, mongo
