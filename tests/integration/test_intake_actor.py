"""Who received it: every event intake publishes for a person names that person (the token's
subject), and a counter dossier's history in processing names the officer who received it, not
`intake-service`. Through intake's and processing's HTTP APIs against the real broker and store.
The envelope's optional `actor` carries the person; `source` stays the service that published."""

import json
import uuid
from typing import Any

from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    eventually,
    idem,
    intake_settings,
    read_records,
    running_intake,
    seed_catalogue,
)
from test_intake_support import token as intake_token
from test_processing_support import (
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    running_processing,
)
from test_processing_support import token as processing_token

PHONE = "0912345678"


async def test_every_dossier_event_intake_publishes_names_the_person_behind_it(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency = f"A{uuid.uuid4().hex[:6].upper()}"
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_intake(settings, **calendar_options()) as intake:
        await seed_catalogue(intake, agency, {f"{agency}.1": 4})
        received = await intake.post(
            "/v1/dossiers",
            headers=idem(intake_token(Role.OFFICER, agency=agency, subject="officer-thu")),
            json=dossier_body(f"{agency}.1", agency, "direct", phone=PHONE),
        )
        assert received.status_code == 201, received.text
        dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]
        withdrawn = await intake.post(
            f"/v1/dossiers/{code}/withdrawal",
            headers=idem(intake_token(Role.APPLICANT, subject="citizen-an")),
            json={"phone": PHONE, "reason": "Nộp nhầm thủ tục"},
        )
        assert withdrawn.status_code == 201, withdrawn.text

    records = await read_records(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        match=lambda r: r.key == dossier_id,
        until=lambda found: len(found) >= 3,
    )
    assert [(r.value["event_type"], r.value.get("source"), r.value.get("actor")) for r in records] == [
        ("dossier.submitted", "intake-service", "officer-thu"),
        ("dossier.accepted", "intake-service", "officer-thu"),
        ("dossier.withdrawn", "intake-service", "citizen-an"),
    ], json.dumps([r.value for r in records], ensure_ascii=False)


async def test_a_counter_dossiers_history_names_the_officer_who_received_it(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency = f"A{uuid.uuid4().hex[:6].upper()}"
    i_settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    p_settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, f"{mongo_db.name}_p", topics
    )
    reader = processing_token(Role.OFFICER, agency=agency, subject="officer-lan")
    try:
        async with (
            running_intake(i_settings, **calendar_options()) as intake,
            running_processing(p_settings) as (_, processing),
        ):
            await seed_catalogue(intake, agency, {f"{agency}.1": 4})
            received = await intake.post(
                "/v1/dossiers",
                headers=idem(intake_token(Role.OFFICER, agency=agency, subject="officer-thu")),
                json=dossier_body(f"{agency}.1", agency, "direct", phone=PHONE),
            )
            assert received.status_code == 201, received.text
            code = received.json()["dossier_code"]

            async def history() -> list[dict[str, Any]] | None:
                r = await processing.get(f"/v1/dossiers/{code}", headers=reader)
                entries = r.json()["history"] if r.status_code == 200 else []
                return entries if len(entries) == 2 else None

            entries = await eventually(history)
            assert entries, "processing did not fold the counter dossier"
            assert [(h["event_type"], h["who"]) for h in entries] == [
                ("dossier.submitted", "officer-thu"),
                ("dossier.accepted", "officer-thu"),
            ]
    finally:
        await mongo_db.client.drop_database(f"{mongo_db.name}_p")
