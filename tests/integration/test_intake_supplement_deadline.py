"""Issue 18 item 1 through intake's and processing's APIs against the real broker and store: the admin
gives a procedure its supplement time at intake; processing's request for papers takes it; the applicant
sees the time to hand them in on intake's tracking (API and page) until they are handed in."""

import uuid
from datetime import datetime
from typing import Any

from motcua_shared.auth import Role
from support.intake_and_processing import (
    IntakeAndProcessing,
    both_running,  # noqa: F401 (the `intake_and_processing` fixture)
)
from test_intake_support import ADMIN, dossier_body, idem
from test_intake_support import token as intake_token
from test_processing_support import (
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
)
from test_processing_support import token as processing_token

PHONE = "0987654322"


async def test_the_procedures_supplement_time_reaches_the_request_and_the_applicants_tracking(
    intake_and_processing: IntakeAndProcessing,
) -> None:
    intake, processing = intake_and_processing.intake, intake_and_processing.processing
    agency = f"S{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    officer = processing_token(Role.OFFICER, agency=agency)
    assert (
        await intake.post(
            "/v1/agencies",
            headers=idem(ADMIN),
            json={"agency_code": agency, "name": "Sở thử nghiệm", "admin_level": "provincial"},
        )
    ).status_code == 201
    published = await intake.post(
        "/v1/procedures",
        headers=idem(ADMIN),
        json={
            "procedure_code": procedure,
            "name": "Thủ tục",
            "agency_code": agency,
            "online_level": 4,
            "processing_time": {"value": 10, "unit": "working_days"},
            "supplement_time": {"value": 4, "unit": "working_days"},
        },
    )
    assert published.status_code == 201, published.text
    shown = (await intake.get(f"/v1/procedures/{procedure}")).json()
    assert shown["supplement_time"] == {"value": 4, "unit": "working_days"}

    response = await intake.post(
        "/v1/dossiers",
        headers=idem(intake_token(Role.APPLICANT)),
        json=dossier_body(procedure, agency, "online", phone=PHONE),
    )
    assert response.status_code == 201, response.text
    code = response.json()["dossier_code"]

    async def officer_does(action: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        r = await processing.post(f"/v1/dossiers/{code}/{action}", json=body or {}, headers=officer)
        return r.json() if r.status_code == 200 else None  # the dossier, the catalogue on their way

    assert await eventually(lambda: officer_does("accept"))
    asked = await officer_does("request-supplement", {"reason": "Thiếu bản sao CCCD"})
    assert asked is not None
    request = next(h for h in asked["dossier"]["history"] if h["event_type"] == "dossier.supplement_requested")
    assert request["data"]["respond_within"] == {"value": 4, "unit": "working_days"}
    respond_by = datetime.fromisoformat(asked["dossier"]["supplement_respond_by"])

    async def tracked() -> dict[str, Any] | None:
        r = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
        body: dict[str, Any] = r.json()
        return body if r.status_code == 200 and body["status"] == "supplement_requested" else None

    seen = await eventually(tracked)
    assert seen and datetime.fromisoformat(seen["supplement_respond_by"]) == respond_by
    page = await intake.get("/track", params={"code": code, "phone": PHONE})
    assert "Hạn nộp giấy tờ bổ sung" in page.text and f"{respond_by:%d/%m/%Y}" in page.text

    supplied = await intake.post(
        f"/v1/dossiers/{code}/supplements",
        headers=idem(intake_token(Role.APPLICANT)),
        json={"phone": PHONE, "documents": [{"name": "CCCD.pdf"}]},
    )
    assert supplied.status_code == 201, supplied.text
    after = (await intake.get(f"/v1/track/{code}", params={"phone": PHONE})).json()
    assert after["supplement_respond_by"] is None
