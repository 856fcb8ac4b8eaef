"""Issue 18 item 8: officers' actions take an Idempotency-Key as intake's POSTs do. A retry with the
same key and body answers the first answer and publishes nothing new; the same key with another body
is 409 `idempotency_key_reused`; the key is scoped to the officer; the OpenAPI documents the header
on every action."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo import AsyncMongoClient
from support.infrastructure import Infrastructure
from support.kafka_log import create_topics, dossier_log
from test_processing_support import (
    BusinessClock,
    catalogue,
    catalogue_key,
    eventually,
    new_codes,
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)

MONDAY = datetime(2025, 9, 8, 9, 0, tzinfo=PROVINCE_TZ)
TWO_DAYS = ev.ProcessingTime(value=Decimal(2), unit=ev.TimeUnit.WORKING_DAYS)


@pytest_asyncio.fixture(loop_scope="session", scope="module", name="topics")
async def module_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    """Topics of this module alone: its tests each act on dossiers of their own, on one processing app."""
    return await create_topics(infrastructure.kafka_bootstrap_servers, f"test-{run_id}-pi{uuid.uuid4().hex[:8]}.")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def processing(
    infrastructure: Infrastructure, topics: Topics, mongo_client: AsyncMongoClient[Any], run_id: str
) -> AsyncIterator[httpx.AsyncClient]:
    database = f"t_{run_id}_pi{uuid.uuid4().hex[:6]}"
    settings = processing_settings(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, database, topics)
    try:
        async with running_processing(settings, now=BusinessClock(MONDAY)) as (_, client):
            yield client
    finally:
        await mongo_client.drop_database(database)


async def a_submitted_dossier(client: httpx.AsyncClient, infra: Infrastructure, topics: Topics) -> tuple[str, ...]:
    agency, procedure, dossier_id, code = new_codes()
    bootstrap = infra.kafka_bootstrap_servers
    await publish(
        bootstrap,
        topics.catalog_events,
        catalogue(agency, procedure, TWO_DAYS, MONDAY - timedelta(days=30)),
        key=catalogue_key,
    )
    await publish(
        bootstrap,
        topics.dossier_events,
        [submitted(dossier_id, code, agency, procedure, MONDAY - timedelta(hours=1))],
        key=lambda e: e.dossier_id,
    )

    async def known() -> bool:
        response = await client.get(f"/v1/dossiers/{code}", headers=token(Role.OFFICER, agency=agency))
        return response.status_code == 200

    assert await eventually(known)
    return agency, dossier_id, code


def officer(agency: str, key: str, subject: str = "officer-lan") -> dict[str, str]:
    return {**token(Role.OFFICER, agency=agency, subject=subject), "Idempotency-Key": key}


async def test_a_retried_action_answers_the_first_answer_and_publishes_once(
    processing: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency, dossier_id, code = await a_submitted_dossier(processing, infrastructure, topics)
    key = str(uuid.uuid4())

    first = await processing.post(f"/v1/dossiers/{code}/accept", headers=officer(agency, key), json={})
    retried = await processing.post(f"/v1/dossiers/{code}/accept", headers=officer(agency, key), json={})
    assert first.status_code == retried.status_code == 200, (first.text, retried.text)
    assert retried.json() == first.json()  # not 409 illegal_transition: the first answer, again

    # The same key for another request: refused, nothing done.
    reused = await processing.post(
        f"/v1/dossiers/{code}/request-supplement", headers=officer(agency, key), json={"reason": "Thiếu bản sao CCCD"}
    )
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"

    # Another body on the same action under a new key is a new request; retried with a changed key
    # order and formatting, it is still the same request.
    supplement_key = str(uuid.uuid4())
    body = {"reason": "Thiếu bản sao CCCD", "items": ["CCCD"]}
    asked = await processing.post(
        f"/v1/dossiers/{code}/request-supplement", headers=officer(agency, supplement_key), json=body
    )
    again = await processing.post(
        f"/v1/dossiers/{code}/request-supplement",
        headers={**officer(agency, supplement_key), "Content-Type": "application/json"},
        content='{ "items": ["CCCD"],  "reason": "Thiếu bản sao CCCD" }',
    )
    assert asked.status_code == again.status_code == 200, (asked.text, again.text)
    assert again.json()["event_id"] == asked.json()["event_id"]
    changed = await processing.post(
        f"/v1/dossiers/{code}/request-supplement",
        headers=officer(agency, supplement_key),
        json={**body, "items": ["Sổ đỏ"]},
    )
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_key_reused"

    # Everything on the topic: each answer came after its publish was acknowledged.
    events = await dossier_log(infrastructure.kafka_bootstrap_servers, topics, dossier_id)
    assert [e.event_type for e in events] == ["dossier.submitted", "dossier.accepted", "dossier.supplement_requested"]
    assert str(events[1].event_id) == first.json()["event_id"]


async def test_a_refused_action_keeps_nothing_and_keys_are_per_officer(
    processing: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency, dossier_id, code = await a_submitted_dossier(processing, infrastructure, topics)
    key = str(uuid.uuid4())
    # Refused (the dossier is not accepted yet): a retry under the same key, once it is, is judged anew.
    early = await processing.post(f"/v1/dossiers/{code}/result-ready", headers=officer(agency, key), json={})
    assert early.status_code == 409 and early.json()["error"]["code"] == "illegal_transition"
    accepted = await processing.post(f"/v1/dossiers/{code}/accept", headers=officer(agency, str(uuid.uuid4())))
    assert accepted.status_code == 200, accepted.text
    # Another officer's identical key is theirs alone: a new request, refused on the dossier's state.
    other = await processing.post(f"/v1/dossiers/{code}/accept", headers=officer(agency, key, subject="officer-minh"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "illegal_transition"
    events = await dossier_log(infrastructure.kafka_bootstrap_servers, topics, dossier_id)
    assert [e.event_type for e in events] == ["dossier.submitted", "dossier.accepted"]


async def test_every_action_documents_the_header_and_its_409s(processing: httpx.AsyncClient) -> None:
    openapi = (await processing.get("/openapi.json")).json()
    posts = [(path, item["post"]) for path, item in openapi["paths"].items() if "post" in item]
    assert posts
    for path, operation in posts:
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert "idempotency_key_reused" in operation["responses"]["409"]["description"], path
