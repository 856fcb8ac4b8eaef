"""Processing's 409 `illegal_transition` against the real broker and store: it says what the dossier
is and what an officer may do on it (never the clock's `dossier.overdue`/`dossier.due_soon`, nor the
applicant's withdrawal), and every officer action's OpenAPI documents exactly that shape."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_error_codes_support import conforms, documented_codes, response_schema
from test_processing_support import (
    BusinessClock,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)

NOW = datetime(2025, 9, 10, 9, 0, tzinfo=PROVINCE_TZ)
ACTIONS = [
    "accept",
    "refuse",
    "request-supplement",
    "receive-supplement",
    "request-payment",
    "record-payment",
    "suspend",
    "resume",
    "transfer",
    "apology",
    "result-ready",
    "return",
]
# What an officer may do on an accepted dossier: each one an action of processing's API.
ON_ACCEPTED = [
    "dossier.apology_issued",
    "dossier.payment_requested",
    "dossier.result_ready",
    "dossier.supplement_requested",
    "dossier.suspended",
    "dossier.transferred",
]


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_processing(settings, now=BusinessClock(NOW)) as (app, http):
        yield app, http


async def _accepted_dossier(
    infrastructure: Infrastructure, topics: Topics, client: httpx.AsyncClient
) -> tuple[str, dict[str, str]]:
    agency, procedure, dossier_id, code = new_codes()
    received = NOW - timedelta(days=1)
    await publish(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        [
            submitted(dossier_id, code, agency, procedure, received, channel=ev.Channel.DIRECT),
            ev.DossierAccepted(
                occurred_at=received,
                source="intake-service",
                dossier_id=dossier_id,
                data=ev.AcceptedData(due_at=NOW + timedelta(days=5)),
            ),
        ],
        key=lambda e: e.dossier_id,
    )
    officer = token(Role.OFFICER, agency=agency, subject="officer-lan")

    async def folded() -> bool:
        response = await client.get(f"/v1/dossiers/{code}", headers=officer)
        return response.status_code == 200 and response.json()["status"] == "accepted"

    assert await eventually(folded), "processing never folded the accepted dossier"
    return code, officer


async def test_illegal_transition_offers_only_what_an_officer_can_do(
    service: tuple[FastAPI, httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    app, client = service
    code, officer = await _accepted_dossier(infrastructure, topics, client)

    refused = await client.post(f"/v1/dossiers/{code}/accept", headers=officer)

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "illegal_transition"
    assert (error["current_status"], error["current_portal_status"]) == ("accepted", "new")
    assert error["allowed_event_types"] == ON_ACCEPTED  # no dossier.overdue, due_soon or withdrawn
    assert conforms(app.openapi(), "POST", "/v1/dossiers/{code}/accept", 409, refused.json())


async def test_every_action_documents_the_illegal_transition_shape(
    service: tuple[FastAPI, httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    """The 409 of each action: `illegal_transition` with its three fields, required; the action's other
    409 codes in the plain shape; no other code."""
    app, client = service
    openapi = app.openapi()
    code, officer = await _accepted_dossier(infrastructure, topics, client)
    body = (await client.post(f"/v1/dossiers/{code}/accept", headers=officer)).json()
    plain = {"error": {"code": "concurrent_action", "message": "another action at the same moment", "fields": []}}
    for action in ACTIONS:
        path = f"/v1/dossiers/{{code}}/{action}"
        schema = response_schema(openapi, "POST", path, 409)
        assert schema is not None, action
        assert "illegal_transition" in documented_codes(schema), action
        assert conforms(openapi, "POST", path, 409, body), action
        assert conforms(openapi, "POST", path, 409, plain), action
        for field in ("current_status", "current_portal_status", "allowed_event_types"):
            without = {"error": {k: v for k, v in body["error"].items() if k != field}}
            assert not conforms(openapi, "POST", path, 409, without), (action, field)
        other = {"error": {**plain["error"], "code": "no_such_code"}}
        assert not conforms(openapi, "POST", path, 409, other), action
