"""Processing folds dossier.events in batches (issue 16): a burst holding the same events twice, and
an officer acting through the API on one of its dossiers while the burst is folded, leave every
dossier's history as it happened, each event once."""

import asyncio
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    BusinessClock,
    catalogue,
    catalogue_key,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)

FRIDAY = datetime(2025, 8, 29, 9, 0, tzinfo=PROVINCE_TZ)
THREE_WORKING_DAYS = ev.ProcessingTime(value=Decimal(3), unit=ev.TimeUnit.WORKING_DAYS)


async def test_a_burst_with_duplicates_and_an_officer_acting_mid_batch_keeps_each_history_once(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    agency, procedure, dossier_id, code = new_codes()
    settings = processing_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)
    await publish(
        kafka, topics.catalog_events, catalogue(agency, procedure, THREE_WORKING_DAYS, FRIDAY), key=catalogue_key
    )
    first = submitted(dossier_id, code, agency, procedure, FRIDAY, channel=ev.Channel.DIRECT)
    accepted = ev.DossierAccepted(
        occurred_at=FRIDAY,
        source="intake-service",
        dossier_id=dossier_id,
        data=ev.AcceptedData(due_at=FRIDAY + timedelta(days=5)),
    )
    # The burst: forty other dossiers, each submitted and accepted, each event sent twice, and on the
    # officer's dossier an integrator's apology (twice) and its acceptance again.
    others: list[tuple[str, list[ev.DossierEvent]]] = []
    for i in range(40):
        other_id = str(uuid.uuid4())
        events: list[ev.DossierEvent] = [
            submitted(other_id, f"{agency}-250829-{i + 1:04d}", agency, procedure, FRIDAY, channel=ev.Channel.DIRECT),
            ev.DossierAccepted(
                occurred_at=FRIDAY,
                source="intake-service",
                dossier_id=other_id,
                data=ev.AcceptedData(due_at=FRIDAY + timedelta(days=5)),
            ),
        ]
        others.append((f"{agency}-250829-{i + 1:04d}", events))
    apology = ev.DossierApologyIssued(
        occurred_at=FRIDAY,
        source="integrator",
        dossier_id=dossier_id,
        data=ev.ApologyIssuedData(reason="Chờ xác minh", new_due_at=FRIDAY + timedelta(days=9)),
    )
    burst: list[ev.DossierEvent] = []
    for i, (_, events) in enumerate(others):
        burst += events + events
        if i == 20:
            burst += [apology, accepted, apology]

    officer = token(Role.OFFICER, agency=agency, subject="officer-lan")
    async with running_processing(settings, now=BusinessClock(FRIDAY)) as (_, client):

        async def status() -> str | None:
            response = await client.get(f"/v1/dossiers/{code}", headers=officer)
            return response.json()["status"] if response.status_code == 200 else None

        await publish(kafka, topics.dossier_events, [first, accepted], key=lambda e: e.dossier_id)
        assert await eventually(lambda: _is(status, "accepted"))

        async def act() -> list[int]:
            answers = []
            for action, body in (("request-payment", {"amount": 150000}), ("record-payment", {"amount": 150000})):
                answers.append(
                    (await client.post(f"/v1/dossiers/{code}/{action}", json=body, headers=officer)).status_code
                )
            return answers

        _, answers = await asyncio.gather(
            publish(kafka, topics.dossier_events, burst, key=lambda e: e.dossier_id), act()
        )
        assert answers == [200, 200]

        async def folded() -> dict[str, Any] | None:
            response = await client.get(f"/v1/dossiers/{code}", headers=officer)
            body = response.json()
            return body if len(body["history"]) == 5 else None

        dossier = await eventually(folded)
        assert dossier, "the officer's dossier never showed its five changes"
        types = [h["event_type"] for h in dossier["history"]]
        assert sorted(types) == sorted(
            [
                "dossier.submitted",
                "dossier.accepted",
                "dossier.apology_issued",
                "dossier.payment_requested",
                "dossier.payment_completed",
            ]
        )
        assert types.index("dossier.payment_requested") < types.index("dossier.payment_completed")
        assert dossier["status"] == "in_progress" and dossier["anomalies"] == []

        # Every other dossier of the burst: submitted and accepted, once each.
        async def histories() -> list[list[str]] | None:
            found = []
            for other_code, _ in others:
                response = await client.get(f"/v1/dossiers/{other_code}", headers=officer)
                if response.status_code != 200 or response.json()["status"] != "accepted":
                    return None
                found.append([h["event_id"] for h in response.json()["history"]])
            return found

        found = await eventually(histories)
        assert found == [[str(e.event_id) for e in events] for _, events in others]


async def _is(read: Any, wanted: str) -> bool:
    return bool(await read() == wanted)
