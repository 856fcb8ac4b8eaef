"""Helpers for intake's integration tests (imported by the test_intake_* modules; no tests here):
an intake app on the run's topics and a fresh database, tokens, and reading events back from Kafka."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from motcua_intake.bootstrap import create_app
from motcua_intake.config import Settings
from motcua_shared.auth import Role, mint_token
from motcua_shared.topics import Topics
from motcua_stack import topics as topic_admin

SECRET = "intake-integration-test-secret-of-32-bytes-or-more"


def token(role: Role, *, subject: str | None = None, agency: str | None = None) -> dict[str, str]:
    """An Authorization header for `role`."""
    value = mint_token(SECRET, role, subject=subject or f"test-{role.value}", agency_code=agency)
    return {"Authorization": f"Bearer {value}"}


def idem(headers: dict[str, str] | None = None, key: str | None = None) -> dict[str, str]:
    """`headers` plus a fresh (or given) Idempotency-Key."""
    return {**(headers or {}), "Idempotency-Key": key or str(uuid.uuid4())}


def intake_settings(kafka: str, mongodb_url: str, database: str, topics: Topics, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "mongodb_url": mongodb_url,
        "mongodb_database": database,
        "topic_prefix": topics.prefix,
        "consumer_group": f"intake-test-{uuid.uuid4().hex[:8]}",
        "jwt_secret": SECRET,
        **overrides,
    }
    return Settings(**values)


async def caught_up(settings: Settings, patience: float = 180.0) -> None:
    """Until the new consumer group has folded what the run's earlier tests left on its topics: intake
    brings its view up to date before answering (a wrong phone waits on every partition), and a
    test's answers must not depend on how much the tests before it published."""
    topics = settings.topics
    behind = await topic_admin.wait_caught_up(
        settings.kafka_bootstrap_servers,
        [settings.consumer_group],
        [topics.catalog_events, topics.dossier_events],
        patience=patience,
    )
    assert behind == 0, f"intake's consumer is still {behind} events behind after {patience:.0f} s"


@asynccontextmanager
async def running_intake_app(
    settings: Settings, **app_options: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The intake app with its lifespan (broker, store, consumers) and an HTTP client on it."""
    app = create_app(settings, **app_options)
    async with app.router.lifespan_context(app):
        await caught_up(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield app, client


@asynccontextmanager
async def running_intake(settings: Settings, **app_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running_intake_app(settings, **app_options) as (_, client):
        yield client


@dataclass
class Record:
    key: str | None
    value: dict[str, Any]
    partition: int


async def read_records(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[Record]], bool],
    match: Callable[[Record], bool] = lambda r: True,
    wait: float = 30.0,
    settle: float = 0.0,
) -> list[Record]:
    """Records of `topic` (from the beginning) that `match`, read until `until(records)` holds, then
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
            if settle_until is not None and now >= settle_until:
                break
            if now >= deadline:
                break
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for raw in records:
                    record = Record(raw.key.decode() if raw.key else None, json.loads(raw.value), raw.partition)
                    if match(record):
                        found.append(record)
    finally:
        await consumer.stop()
    return found


async def eventually(check: Callable[[], Any], *, wait: float = 20.0) -> Any:
    """Poll the async `check` until it returns a truthy value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        result = await check()
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.2)


ADMIN = token(Role.ADMIN)


async def seed_catalogue(client: httpx.AsyncClient, agency: str, procedures: dict[str, int]) -> None:
    """Register `agency` and publish `procedures` {code: online_level} through the API."""
    response = await client.post(
        "/v1/agencies",
        headers=idem(ADMIN),
        json={"agency_code": agency, "name": f"Sở thử nghiệm {agency}", "admin_level": "provincial"},
    )
    assert response.status_code == 201, response.text
    for code, level in procedures.items():
        response = await client.post(
            "/v1/procedures",
            headers=idem(ADMIN),
            json={
                "procedure_code": code,
                "name": f"Thủ tục {code}",
                "agency_code": agency,
                "online_level": level,
                "processing_time": {"value": 5, "unit": "working_days"},
                "fee": 50000,
            },
        )
        assert response.status_code == 201, response.text


def dossier_body(
    procedure: str, agency: str, channel: str, *, phone: str = "0912345678", **extra: Any
) -> dict[str, Any]:
    return {
        "procedure_code": procedure,
        "agency_code": agency,
        "channel": channel,
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "phone": phone,
            "id_number": "001085012345",
            "email": "an.nguyen@example.vn",
            "preferred_language": "vi",
        },
        "documents": [{"name": "Đơn đề nghị.pdf", "sha256": "a" * 64, "size": 120331}],
        **extra,
    }


def calendar_options() -> dict[str, Any]:
    """TEMPORARY until motcua_shared.calendar lands with a way to move a due time by a pause: a
    crude stand-in for what is missing (due_at from the shared calendar whenever it exists)."""
    try:
        from motcua_shared.calendar import load_calendar  # type: ignore[import-not-found,unused-ignore]

        shared: Any = load_calendar()
    except ImportError:
        shared = None
    if shared is not None and hasattr(shared, "moved_due_at"):
        return {}

    from datetime import timedelta

    class StandIn:
        def due_at(self, received_at: Any, processing_time: Any) -> Any:
            if shared is not None:
                return shared.due_at(received_at, processing_time)
            return received_at + timedelta(days=float(processing_time.value))

        def moved_due_at(self, due_at: Any, paused_at: Any, resumed_at: Any) -> Any:
            return due_at + (resumed_at - paused_at)

    return {"calendar": StandIn()}
