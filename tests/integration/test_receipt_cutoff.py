"""Issue 18 item 3, through intake's and processing's APIs against the real broker and store: a
procedure published with a 15:00 receipt cut-off and a shorter online processing time. A counter
dossier received after 15:00 gets an appointment counted from the next working day (on the receipt
and on tracking); an online dossier accepted after 15:00 is due by the online time, counted from the
next working day (processing's answer and `dossier.accepted.due_at`); before the cut-off, as before."""

import uuid
from datetime import datetime
from typing import Any

from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import ADMIN, dossier_body, idem, intake_settings, running_intake
from test_intake_support import token as intake_token
from test_processing_support import (
    BusinessClock,
    dossier_events,
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    running_processing,
)
from test_processing_support import token as processing_token


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=PROVINCE_TZ)  # Tuesday 9 September 2025: a working day


async def test_cutoff_and_online_time_on_the_receipt_and_the_due_time(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency = f"K{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    clock = BusinessClock(at(9, 14, 30))
    i_settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    p_settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, f"{mongo_db.name}_p", topics
    )
    async with running_intake(i_settings, now=clock) as intake, running_processing(p_settings, now=clock) as (_, proc):
        assert (
            await intake.post(
                "/v1/agencies",
                headers=idem(ADMIN),
                json={"agency_code": agency, "name": "Sở Tư pháp thử nghiệm", "admin_level": "provincial"},
            )
        ).status_code == 201
        terms = {
            "procedure_code": procedure,
            "name": "Cấp Phiếu lý lịch tư pháp",
            "agency_code": agency,
            "online_level": 4,
            "processing_time": {"value": 2, "unit": "working_days"},
            "receipt_cutoff": "15:00",
            "online_processing_time": {"value": 1, "unit": "working_days"},
        }
        bad = await intake.post("/v1/procedures", headers=idem(ADMIN), json={**terms, "receipt_cutoff": "15h"})
        assert bad.status_code == 422 and "receipt_cutoff" in bad.text
        published = await intake.post("/v1/procedures", headers=idem(ADMIN), json=terms)
        assert published.status_code == 201, published.text
        shown = (await intake.get(f"/v1/procedures/{procedure}")).json()
        assert shown["receipt_cutoff"] == "15:00" and shown["online_processing_time"]["value"] == 1

        officer = intake_token(Role.OFFICER, agency=agency)

        async def at_the_counter(when: datetime, phone: str) -> dict[str, Any]:
            clock.at = when
            response = await intake.post(
                "/v1/dossiers", headers=idem(officer), json=dossier_body(procedure, agency, "direct", phone=phone)
            )
            assert response.status_code == 201, response.text
            return dict(response.json())

        # 14:30, before the cut-off: two working days from now. 15:30: from Wednesday 07:30.
        before = await at_the_counter(at(9, 14, 30), "0911000001")
        after = await at_the_counter(at(9, 15, 30), "0911000002")
        assert datetime.fromisoformat(before["appointment_at"]) == at(11, 14, 30)
        assert datetime.fromisoformat(after["appointment_at"]) == at(11, 17, 0)
        tracked = await intake.get(f"/v1/track/{after['dossier_code']}", params={"phone": "0911000002"})
        assert datetime.fromisoformat(tracked.json()["appointment_at"]) == at(11, 17, 0)

        # Online, submitted at 14:50 and accepted at 15:20: one working day (the online time) from Wednesday.
        clock.at = at(9, 14, 50)
        online = await intake.post(
            "/v1/dossiers",
            headers=idem(intake_token(Role.APPLICANT)),
            json=dossier_body(procedure, agency, "online", phone="0911000003"),
        )
        assert online.status_code == 201, online.text
        code, dossier_id = online.json()["dossier_code"], online.json()["dossier_id"]
        clock.at = at(9, 15, 20)
        headers = processing_token(Role.OFFICER, agency=agency)

        async def accepted() -> dict[str, Any] | None:  # the dossier and the catalogue may still be on their way
            response = await proc.post(f"/v1/dossiers/{code}/accept", headers=headers)
            return response.json() if response.status_code == 200 else None

        answer = await eventually(accepted)
        assert answer, "the online dossier was never accepted"
        assert datetime.fromisoformat(answer["dossier"]["due_at"]) == at(10, 17, 0)
        events = await dossier_events(infrastructure.kafka_bootstrap_servers, topics, dossier_id, 2)
        assert events[1].event_type == "dossier.accepted"
        assert events[1].data.due_at == at(10, 17, 0)  # type: ignore[union-attr]

        async def tracked_online() -> bool:
            r = await intake.get(f"/v1/track/{code}", params={"phone": "0911000003"})
            return r.status_code == 200 and r.json()["appointment_at"] is not None

        assert await eventually(tracked_online)
        r = await intake.get(f"/v1/track/{code}", params={"phone": "0911000003"})
        assert datetime.fromisoformat(r.json()["appointment_at"]) == at(10, 17, 0)
