"""The services as real processes for end-to-end tests: a `Deployment` is one set of service
processes (`motcua_stack.services`) with its own stack home (pid files, logs), free ports, topic
prefix, consumer groups and databases, pointed at a broker and a store; several deployments can run
side by side. Also the catalogue to publish before a load, and what an official reads back."""

import asyncio
import contextlib
import os
import random
import signal
import socket
import time as time_module
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from motcua_shared.auth import Role, mint_token
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.settings import ServiceSettings
from motcua_shared.topics import Topics
from motcua_stack import histories, processes, services
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from support.infrastructure import Infrastructure

SECRET = ServiceSettings().jwt_secret.get_secret_value()


# Ports are chosen below Linux's ephemeral range (32768-60999): a port the kernel hands to some
# client's outgoing connection between our check and the service's bind would fail its start-up.
PORTS = range(20_000, 32_000)


def free_port() -> int:
    rng = random.Random()
    while True:
        port = rng.choice(PORTS)
        if _free(port):
            return port


def free_base_port() -> int:
    """A port p such that p and p + 100 (a second instance) are free."""
    rng = random.Random()
    while True:
        base = rng.randrange(PORTS.start, PORTS.stop - services.PORT_STEP)
        if all(_free(base + services.PORT_STEP * i) for i in range(2)):
            return base


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (motcua_stack reads its home and ports from there)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class Deployment:
    """One set of service processes with its own names, ports and stack home (pid files, logs)."""

    name: str
    instances: dict[str, int]
    home: Path
    infrastructure: Infrastructure
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ports: dict[str, int] = field(default_factory=dict)
    # More MOTCUA_<SERVICE>_* settings (e.g. notification's SMTP server).
    extra_env: dict[str, str] = field(default_factory=dict)
    topic_family: str = "scale"

    def __post_init__(self) -> None:
        self.ports = {service.name: free_base_port() for service in services.ALL}

    @property
    def topics(self) -> Topics:
        return Topics(f"test-{self.topic_family}-{self.tag}-{self.name}.")

    @property
    def wiring(self) -> services.Wiring:
        return services.Wiring(
            kafka_bootstrap_servers=self.infrastructure.kafka_bootstrap_servers,
            mongodb_url=self.infrastructure.mongodb_url,
            topic_prefix=self.topics.prefix,
            database_prefix=f"t_{self.topic_family}_{self.tag}_{self.name}_",
            jwt_secret=SECRET,
            # The clock would announce due times by wall-clock time, differently in each deployment.
            extra_env={"MOTCUA_PROCESSING_SCHEDULER_ENABLED": "false", **self.extra_env},
        )

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        """services.py reads the stack home and ports from the environment."""
        values = {"MOTCUA_STACK_HOME": str(self.home)}
        values |= {f"MOTCUA_STACK_{name.upper()}_PORT": str(port) for name, port in self.ports.items()}
        with environ(values):
            yield

    def url(self, service: services.Service, instance: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[service.name] + services.PORT_STEP * instance}"

    def start(self) -> None:
        with self.environment():
            services.start_all(self.wiring, self.instances, timeout=120)

    def start_one(self, service: services.Service, instance: int = 0) -> None:
        with self.environment():
            services.start(service, self.wiring, instance, timeout=120)

    def kill(self, service: services.Service, instance: int = 0) -> int:
        """kill -9 one instance (no clean shutdown, nothing flushed); its pid."""
        with self.environment():
            name = service.process_name(instance)
            pid = processes.running_pid(name)
            assert pid is not None, f"{name} is not running"
            os.kill(pid, signal.SIGKILL)
            while processes.running_pid(name) is not None:  # reaps our child
                time_module.sleep(0.05)
            return pid

    def stop(self) -> list[str]:
        with self.environment():
            return services.stop_all()

    def drop_databases(self) -> None:
        """Clean up after a test; a store the test left stopped keeps them (its folder goes anyway)."""
        with MongoClient(self.infrastructure.mongodb_url, serverSelectionTimeoutMS=5_000) as client:
            try:
                for service in services.ALL:
                    client.drop_database(self.wiring.database(service))
            except PyMongoError:
                pass

    def logs(self) -> dict[str, str]:
        return {path.stem: path.read_text(errors="replace") for path in (self.home / "logs").glob("*.log")}

    @property
    def groups(self) -> list[str]:
        """The consumer groups of the services this deployment runs."""
        return [
            self.topics.prefix + service.consumer_group
            for service in services.ALL
            if self.instances.get(service.name, 1) > 0
        ]


def header(role: Role, agency: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, role, subject=f'e2e-{role}', agency_code=agency)}"}


def catalogue_events() -> list[Any]:
    """The sample catalogue as catalog.events, published in the past (before any live dossier)."""
    return histories.catalogue_events(
        histories.read_catalogue(), occurred_at=datetime.combine(date(2026, 3, 1), time(8), tzinfo=PROVINCE_TZ)
    )


async def publish_history(deployment: Deployment, events: list[Any], dossiers: list[list[Any]]) -> None:
    """Catalogue events, then dossier histories, straight onto the deployment's topics."""
    producer = AIOKafkaProducer(
        bootstrap_servers=deployment.infrastructure.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
    )
    await producer.start()
    try:
        await asyncio.gather(
            *[
                await producer.send(
                    deployment.topics.catalog_events, e.to_bytes(), key=histories.catalogue_key(e).encode()
                )
                for e in events
            ]
        )
        await asyncio.gather(
            *[
                await producer.send(deployment.topics.dossier_events, e.to_bytes(), key=e.dossier_id.encode())
                for h in dossiers
                for e in h
            ]
        )
    finally:
        await producer.stop()
