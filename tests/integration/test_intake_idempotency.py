"""Idempotency-Key: a retried submission publishes exactly one dossier.submitted; the same key with
another body is refused; a retry after a 503 publishes the SAME events (same event_ids), once."""

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from motcua_intake.adapters.publishing import BrokerUnavailable, EventPublisher
from motcua_shared.auth import Role
from motcua_shared.events import Envelope
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    read_records,
    running_intake_app,
    seed_catalogue,
    token,
)


@pytest_asyncio.fixture(loop_scope="session")
async def intake_app(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_intake_app(settings, **calendar_options()) as pair:
        yield pair


async def submissions_with_code(infra: Infrastructure, topics: Topics, code: str, settle: float = 2.0) -> list[Any]:
    """Every record on dossier.events about dossier `code` (submitted by code, then by its dossier id)."""
    submitted = await read_records(
        infra.kafka_bootstrap_servers,
        topics.dossier_events,
        match=lambda r: r.value["event_type"] == "dossier.submitted" and r.value["data"]["dossier_code"] == code,
        until=lambda found: len(found) >= 1,
        settle=settle,
    )
    ids = {r.key for r in submitted}
    return await read_records(
        infra.kafka_bootstrap_servers,
        topics.dossier_events,
        match=lambda r: r.key in ids,
        until=lambda found: len(found) >= 2 * len(submitted),
        settle=0.5,
    )


async def test_a_retry_with_the_same_key_publishes_one_submission(
    intake_app: tuple[FastAPI, httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    _, intake = intake_app
    agency = f"I{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    headers = idem(token(Role.OFFICER, agency=agency))
    body = dossier_body(f"{agency}.1", agency, "direct")

    first = await intake.post("/v1/dossiers", headers=headers, json=body)
    # The same request, retried by a client that did not see the answer; key order changed on purpose.
    retried = await intake.post(
        "/v1/dossiers",
        headers={**headers, "Content-Type": "application/json"},
        content=json.dumps(dict(reversed(body.items())), indent=2),
    )
    assert first.status_code == retried.status_code == 201
    assert retried.json() == first.json()

    other_body = dossier_body(f"{agency}.1", agency, "direct", phone="0987654321")
    reused = await intake.post("/v1/dossiers", headers=headers, json=other_body)
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"

    records = await submissions_with_code(infrastructure, topics, first.json()["dossier_code"])
    types = sorted(r.value["event_type"] for r in records)
    assert types == ["dossier.accepted", "dossier.submitted"]


async def test_concurrent_duplicates_publish_once(
    intake_app: tuple[FastAPI, httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    _, intake = intake_app
    agency = f"I{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    headers = idem(token(Role.APPLICANT))
    body = dossier_body(f"{agency}.1", agency, "online")

    answers = await asyncio.gather(*(intake.post("/v1/dossiers", headers=headers, json=body) for _ in range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_request_in_progress"
            assert answer.headers["Retry-After"] == "1"
    codes = {a.json()["dossier_code"] for a in answers if a.status_code == 201}
    assert len(codes) == 1

    records = await submissions_with_code(infrastructure, topics, codes.pop())
    assert [r.value["event_type"] for r in records] == ["dossier.submitted"]
    # The next submission of the day got the next number: the duplicates consumed none.
    nxt = await intake.post("/v1/dossiers", headers=idem(token(Role.APPLICANT)), json=body)
    assert nxt.json()["dossier_code"].endswith("-0002")


class FailingOnce:
    """A publisher whose first publish fails as if the broker were away."""

    def __init__(self, real: EventPublisher) -> None:
        self.real = real
        self.failed = False

    async def publish(self, topic: str, key: str, events: Sequence[Envelope]) -> None:
        if not self.failed:
            self.failed = True
            raise BrokerUnavailable("simulated")
        await self.real.publish(topic, key, events)


async def test_a_retry_after_503_publishes_the_planned_events_once(
    intake_app: tuple[FastAPI, httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    app, intake = intake_app
    agency = f"I{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    headers = idem(token(Role.OFFICER, agency=agency))
    body = dossier_body(f"{agency}.1", agency, "direct")
    real = app.state.intake
    app.state.intake = dataclasses.replace(real, publisher=FailingOnce(real.publisher))
    try:
        refused = await intake.post("/v1/dossiers", headers=headers, json=body)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "broker_unavailable"
        assert int(refused.headers["Retry-After"]) > 0
        retried = await intake.post("/v1/dossiers", headers=headers, json=body)
    finally:
        app.state.intake = real
    assert retried.status_code == 201, retried.text
    code = retried.json()["dossier_code"]
    assert code.endswith("-0001")  # the retry kept the number decided the first time

    records = await submissions_with_code(infrastructure, topics, code)
    assert sorted(r.value["event_type"] for r in records) == ["dossier.accepted", "dossier.submitted"]
    assert {r.key for r in records} == {retried.json()["dossier_id"]}
    assert len({r.partition for r in records}) == 1
