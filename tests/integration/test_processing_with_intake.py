"""A dossier's whole life through intake's and processing's APIs against the real broker and store:
the applicant submits, supplies papers, pays and rates through intake; officers act through
processing; the events appear in order on dossier.events and both services agree on the status."""

import uuid
from typing import Any

from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import calendar_options, dossier_body, idem, intake_settings, running_intake, seed_catalogue
from test_intake_support import token as intake_token
from test_processing_support import (
    dossier_events,
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    running_processing,
)
from test_processing_support import token as processing_token

PHONE = "0987654321"


async def test_a_dossier_through_intake_and_processing(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency = f"W{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    i_settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    p_settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, f"{mongo_db.name}_p", topics
    )
    officer = processing_token(Role.OFFICER, agency=agency, subject="officer-hoa")
    applicant = intake_token(Role.APPLICANT)
    try:
        async with (
            running_intake(i_settings, **calendar_options()) as intake,
            running_processing(p_settings) as (_, processing),
        ):
            await seed_catalogue(intake, agency, {procedure: 4})
            response = await intake.post(
                "/v1/dossiers", headers=idem(applicant), json=dossier_body(procedure, agency, "online", phone=PHONE)
            )
            assert response.status_code == 201, response.text
            dossier_id, code = response.json()["dossier_id"], response.json()["dossier_code"]

            async def processing_status(expected: str) -> bool:
                r = await processing.get(f"/v1/dossiers/{code}", headers=officer)
                return r.status_code == 200 and r.json()["status"] == expected

            async def intake_status(expected: str) -> bool:
                r = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
                return r.status_code == 200 and r.json()["status"] == expected

            async def officer_does(action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
                async def attempt() -> dict[str, Any] | None:  # the catalogue may still be on its way
                    r = await processing.post(f"/v1/dossiers/{code}/{action}", json=body or {}, headers=officer)
                    assert r.status_code in (200, 409), r.text
                    return r.json() if r.status_code == 200 else None

                result = await eventually(attempt)
                assert result, f"{action} was refused"
                return dict(result)

            assert await eventually(lambda: processing_status("submitted"))
            accepted = await officer_does("accept")
            assert accepted["dossier"]["due_at"] is not None
            await officer_does("request-supplement", {"reason": "Thiếu bản sao CCCD"})

            assert await eventually(lambda: intake_status("supplement_requested"))
            supplied = await intake.post(
                f"/v1/dossiers/{code}/supplements",
                headers=idem(applicant),
                json={"phone": PHONE, "documents": [{"name": "CCCD.pdf"}]},
            )
            assert supplied.status_code == 201, supplied.text
            assert await eventually(lambda: processing_status("in_progress"))

            await officer_does("request-payment", {"amount": 50000})
            assert await eventually(lambda: intake_status("awaiting_payment"))
            paid = await intake.post(
                "/v1/payments/callback",
                headers=idem(intake_token(Role.INTEGRATOR)),
                json={"dossier_code": code, "amount": 50000, "method": "online"},
            )
            assert paid.status_code == 201, paid.text
            assert await eventually(lambda: processing_status("in_progress"))

            await officer_does("result-ready", {"result_number": "01/GP"})
            await officer_does("return", {"delivery": "online"})
            assert await eventually(lambda: intake_status("returned"))
            rated = await intake.post(
                f"/v1/dossiers/{code}/rating",
                headers=idem(applicant),
                json={"phone": PHONE, "rating": "very_satisfied"},
            )
            assert rated.status_code == 201, rated.text

            async def rated_in_processing() -> dict[str, Any] | None:
                r = (await processing.get(f"/v1/dossiers/{code}", headers=officer)).json()
                return r if r["rating"] else None

            final = await eventually(rated_in_processing)
            assert final and final["status"] == "returned" and final["anomalies"] == []
    finally:
        await mongo_db.client.drop_database(f"{mongo_db.name}_p")

    published = await dossier_events(infrastructure.kafka_bootstrap_servers, topics, dossier_id, 9, settle=1)
    assert [(e.event_type, e.source) for e in published] == [
        ("dossier.submitted", "intake-service"),
        ("dossier.accepted", "processing-service"),
        ("dossier.supplement_requested", "processing-service"),
        ("dossier.supplement_received", "intake-service"),
        ("dossier.payment_requested", "processing-service"),
        ("dossier.payment_completed", "intake-service"),
        ("dossier.result_ready", "processing-service"),
        ("dossier.returned", "processing-service"),
        ("dossier.rated", "intake-service"),
    ]
    assert [h["event_type"] for h in final["history"]] == [e.event_type for e in published]
    assert isinstance(published[1], ev.DossierAccepted)
