"""Public tracking shows the appointment processing keeps (issue 15 item 1): a dossier paused for
payment and then paid has its due time moved by the working time it waited, on intake's
`/v1/track/{code}` as on processing's `GET /v1/dossiers/{code}`. Both fold the events with the shared
lifecycle; intake's own fold once kept the appointment from before the payment request."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import dossier_body, idem, intake_settings, running_intake, seed_catalogue
from test_intake_support import token as intake_token
from test_processing_support import (
    BusinessClock,
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    running_processing,
)
from test_processing_support import token as processing_token

PHONE = "0987654321"


def a_working_morning() -> datetime:
    """A working instant on a coming day, whole minutes (the stores keep milliseconds)."""
    tomorrow = (datetime.now(PROVINCE_TZ) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return load_calendar().next_working_instant(tomorrow)


async def test_tracking_shows_the_appointment_moved_by_a_payment_pause(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    calendar = load_calendar()
    agency = f"T{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    clock = BusinessClock(a_working_morning())
    i_settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    p_settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, f"{mongo_db.name}_p", topics
    )
    officer = processing_token(Role.OFFICER, agency=agency, subject="officer-hoa")
    try:
        async with (
            running_intake(i_settings, now=clock) as intake,
            running_processing(p_settings, now=clock) as (
                _,
                processing,
            ),
        ):
            await seed_catalogue(intake, agency, {procedure: 4})
            response = await intake.post(
                "/v1/dossiers",
                headers=idem(intake_token(Role.APPLICANT)),
                json=dossier_body(procedure, agency, "online", phone=PHONE),
            )
            assert response.status_code == 201, response.text
            code = response.json()["dossier_code"]

            async def officer_does(action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
                async def attempt() -> dict[str, Any] | None:  # the dossier and catalogue may be on their way
                    r = await processing.post(f"/v1/dossiers/{code}/{action}", json=body or {}, headers=officer)
                    assert r.status_code in (200, 404, 409), r.text
                    return r.json()["dossier"] if r.status_code == 200 else None

                result = await eventually(attempt)
                assert result, f"{action} was refused"
                return dict(result)

            async def tracked(status: str) -> dict[str, Any] | None:
                r = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
                body: dict[str, Any] = r.json()
                return body if r.status_code == 200 and body["status"] == status else None

            accepted = await officer_does("accept")
            promised = datetime.fromisoformat(accepted["due_at"])
            requested_at = clock.at
            await officer_does("request-payment", {"amount": 50000})
            assert await eventually(lambda: tracked("awaiting_payment"))

            clock.at = calendar.add(requested_at, timedelta(hours=2))  # two working hours waiting for the fee
            await officer_does("record-payment", {"amount": 50000, "method": "counter"})

            public = await eventually(lambda: tracked("in_progress"))
            assert public, "tracking never showed the payment"
            kept = (await processing.get(f"/v1/dossiers/{code}", headers=officer)).json()
    finally:
        await mongo_db.client.drop_database(f"{mongo_db.name}_p")

    moved = calendar.moved_due_at(promised, requested_at, clock.at)
    assert moved > promised
    assert datetime.fromisoformat(kept["due_at"]) == moved
    assert datetime.fromisoformat(public["appointment_at"]) == moved, "tracking kept the appointment before payment"
