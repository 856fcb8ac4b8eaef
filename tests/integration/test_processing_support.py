"""Helpers for processing's integration tests (imported by the test_processing_* modules; no tests
here): a processing app on the run's topics and a fresh database, tokens, a movable business clock,
publishing events as another producer would, and reading events back from Kafka."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from fastapi import FastAPI
from motcua_processing.bootstrap import create_app
from motcua_processing.config import Settings
from motcua_shared import events as ev
from motcua_shared.auth import Role, mint_token
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.catalogue import catalogue_code
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from support.infrastructure import Infrastructure

SECRET = "processing-integration-test-secret-of-32-bytes-or-more"


def token(role: Role, *, agency: str | None = None, subject: str | None = None) -> dict[str, str]:
    value = mint_token(SECRET, role, subject=subject or f"test-{role.value}", agency_code=agency)
    return {"Authorization": f"Bearer {value}"}


def processing_settings(kafka: str, mongodb_url: str, database: str, topics: Topics, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "mongodb_url": mongodb_url,
        "mongodb_database": database,
        "topic_prefix": topics.prefix,
        "consumer_group": f"processing-test-{uuid.uuid4().hex[:8]}",
        "jwt_secret": SECRET,
        "scheduler_enabled": False,
        **overrides,
    }
    return Settings(**values)


@pytest_asyncio.fixture(loop_scope="session", name="topics")
async def own_topics(infrastructure: Infrastructure, run_id: str) -> AsyncIterator[Topics]:
    """Topics of one test alone (imported by processing's test modules in place of the run's shared
    ones), so that a processing app, which reads dossier.events from the beginning with a new consumer
    group, folds only this test's events rather than everything the suite published before."""
    own = Topics(f"test-{run_id}-p{uuid.uuid4().hex[:8]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1) for name in own.all()])
    finally:
        await admin.close()
    yield own


@dataclass
class BusinessClock:
    """The business time the app sees; tests move it."""

    at: datetime = field(default_factory=lambda: datetime.now(PROVINCE_TZ))

    def __call__(self) -> datetime:
        return self.at


@asynccontextmanager
async def running_processing(
    settings: Settings, **app_options: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The processing app with its lifespan (store, broker, consumers, clock) and an HTTP client on it."""
    app = create_app(settings, **app_options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://processing") as client:
            yield app, client


async def publish(bootstrap: str, topic: str, events: list[ev.Envelope], *, key: Callable[[Any], str]) -> None:
    """Publish `events` as another producer (intake, an integrator) would."""
    broker = make_broker(bootstrap, client_id="processing-test-producer")
    await broker.connect()
    try:
        for event in events:
            await broker.publish(event.to_bytes(), topic=topic, key=key(event).encode())
    finally:
        await broker.stop()


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: str) -> None:
    broker = make_broker(bootstrap, client_id="processing-test-producer")
    await broker.connect()
    try:
        await broker.publish(value, topic=topic, key=key.encode())
    finally:
        await broker.stop()


@dataclass
class Record:
    key: str | None
    value: Any
    headers: dict[str, str]


async def read_records(
    bootstrap: str,
    topic: str,
    *,
    match: Callable[[Record], bool],
    until: Callable[[list[Record]], bool],
    wait: float = 30.0,
    settle: float = 0.0,
) -> list[Record]:
    """Records of `topic` from the beginning that `match`, read until `until(records)` holds, then
    `settle` seconds more (to catch anything that should NOT be there)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    found: list[Record] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        settle_until: float | None = None
        while True:
            now = loop.time()
            if settle_until is None and until(found):
                settle_until = now + settle
            if (settle_until is not None and now >= settle_until) or now >= deadline:
                break
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for raw in records:
                    try:
                        value: Any = json.loads(raw.value)
                    except ValueError:
                        value = raw.value
                    record = Record(
                        raw.key.decode() if raw.key else None, value, {k: v.decode() for k, v in raw.headers or []}
                    )
                    if match(record):
                        found.append(record)
    finally:
        await consumer.stop()
    return found


async def dossier_events(
    bootstrap: str, topics: Topics, dossier_id: str, count: int, settle: float = 0.0
) -> list[ev.DossierEvent]:
    """The events on dossier.events keyed by `dossier_id`, parsed with the shared schemas."""
    records = await read_records(
        bootstrap,
        topics.dossier_events,
        match=lambda r: r.key == dossier_id,
        until=lambda found: len(found) >= count,
        settle=settle,
    )
    return [ev.parse_event(json.dumps(r.value), expect=ev.DOSSIER_EVENT_TYPES) for r in records]


async def eventually(check: Callable[[], Any], *, wait: float = 20.0) -> Any:
    """Poll the async `check` until it returns a truthy value (or give up and return the last one)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        result = await check()
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.2)


def agency_registered(
    agency: str, at: datetime, *, level: ev.AdminLevel = ev.AdminLevel.PROVINCIAL, name: str | None = None
) -> ev.AgencyRegistered:
    """An agency at `level`, as intake's catalogue would publish it."""
    return ev.AgencyRegistered(
        occurred_at=at,
        source="intake-service",
        data=ev.AgencyRegisteredData(agency_code=agency, name=name or f"Sở thử nghiệm {agency}", admin_level=level),
    )


def catalogue(
    agency: str,
    procedure: str,
    processing_time: ev.ProcessingTime,
    at: datetime,
    *,
    level: ev.AdminLevel = ev.AdminLevel.PROVINCIAL,
    agency_name: str | None = None,
    procedure_name: str | None = None,
) -> list[ev.Envelope]:
    """An agency and one of its procedures (both at `level`), as intake's catalogue would publish them."""
    return [
        agency_registered(agency, at, level=level, name=agency_name),
        ev.ProcedurePublished(
            occurred_at=at,
            source="intake-service",
            data=ev.ProcedurePublishedData(
                procedure_code=procedure,
                name=procedure_name or f"Thủ tục {procedure}",
                agency_code=agency,
                admin_level=level,
                online_level=4,
                processing_time=processing_time,
            ),
        ),
    ]


def catalogue_key(event: Any) -> str:
    return catalogue_code(event)


def submitted(
    dossier_id: str, code: str, agency: str, procedure: str, at: datetime, channel: ev.Channel = ev.Channel.ONLINE
) -> ev.DossierSubmitted:
    return ev.DossierSubmitted(
        occurred_at=at,
        source="intake-service",
        dossier_id=dossier_id,
        data=ev.SubmittedData(
            dossier_code=code,
            procedure_code=procedure,
            agency_code=agency,
            channel=channel,
            applicant=ev.Applicant(full_name="Trần Thị Bình", phone="0912345678"),
        ),
    )


def new_codes() -> tuple[str, str, str, str]:
    """A fresh (agency, procedure, dossier id, dossier code)."""
    agency = f"P{uuid.uuid4().hex[:6].upper()}"
    return agency, f"{agency}.001", str(uuid.uuid4()), f"{agency}-240102-{uuid.uuid4().int % 10000:04d}"
