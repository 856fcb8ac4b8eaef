"""Recording a payment at the counter against the real broker and store: only the amount requested
resumes the clock; any other amount (part of it, or more) is refused and nothing is published."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    BusinessClock,
    dossier_events,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)

# Wednesday 10 September 2025, 09:00
NOW = datetime(2025, 9, 10, 9, 0, tzinfo=PROVINCE_TZ)


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_processing(settings, now=BusinessClock(NOW)) as (_, http):
        yield http


async def test_only_the_amount_requested_is_recorded(
    client: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
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

    async def act(action: str, body: dict[str, Any]) -> httpx.Response:
        return await client.post(f"/v1/dossiers/{code}/{action}", json=body, headers=officer)

    async def requested() -> httpx.Response | None:
        response = await act("request-payment", {"amount": 600000})
        return response if response.status_code == 200 else None

    assert await eventually(requested), "the dossier was never folded, or the payment request failed"

    for amount in (1, 599999.99, 300000, 600001, 1200000):
        response = await act("record-payment", {"amount": amount, "method": "counter"})
        assert response.status_code == 422, (amount, response.text)
        error = response.json()["error"]
        assert error["code"] == "payment_amount_mismatch"
        assert error["requested_amount"] == 600000
        assert "600000" in error["message"]
    dossier = (await client.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert dossier["status"] == "awaiting_payment" and dossier["paused_since"] is not None
    assert len(dossier["history"]) == 3

    paid = await act("record-payment", {"amount": "600000.00", "method": "counter"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["dossier"]["status"] == "in_progress"
    published = await dossier_events(infrastructure.kafka_bootstrap_servers, topics, dossier_id, 4, settle=1)
    assert [e.event_type for e in published] == [
        "dossier.submitted",
        "dossier.accepted",
        "dossier.payment_requested",
        "dossier.payment_completed",
    ]
    completed = published[3]
    assert isinstance(completed, ev.DossierPaymentCompleted) and completed.data.amount == 600000
