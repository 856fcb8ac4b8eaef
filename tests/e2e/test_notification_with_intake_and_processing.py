"""The three services together on the real broker and store: an applicant who reads English submits
through intake, officers act through processing, and notification, reading only what they publish,
emails and texts the applicant (in English, the apology letter attached) and signs webhooks."""

import io
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
from motcua_notification.domain.signing import verify
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_intake_support import calendar_options, dossier_body, idem, intake_settings, running_intake, seed_catalogue
from test_intake_support import token as intake_token
from test_notification_support import (
    eventually,
    http_receiver,
    notification_settings,
    own_topics,
    running_notification,
    smtp_sink,
    token,
)
from test_processing_support import processing_settings, running_processing
from test_processing_support import token as processing_token

topics = own_topics
PHONE = "0987650001"
EMAIL = "alex.tran@example.com"


async def test_an_english_reader_hears_of_each_step_taken_by_intake_and_processing(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency = f"E{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    kafka, mongo = infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url
    officer = processing_token(Role.OFFICER, agency=agency, subject="officer-lan")
    applicant = intake_token(Role.APPLICANT)
    secret = "integrator-secret-for-the-three-services"
    with smtp_sink() as smtp:
        async with http_receiver() as receiver:
            n_settings = notification_settings(
                infrastructure, f"{mongo_db.name}_n", topics, smtp_port=smtp.port, sms_url=receiver.url("/sms")
            )
            try:
                async with (
                    running_intake(
                        intake_settings(kafka, mongo, mongo_db.name, topics), **calendar_options()
                    ) as intake,
                    running_processing(processing_settings(kafka, mongo, f"{mongo_db.name}_p", topics)) as (
                        _,
                        processing,
                    ),
                    running_notification(n_settings) as (_, notification),
                ):
                    hook = await notification.post(
                        "/v1/webhooks",
                        headers=token(Role.ADMIN),
                        json={"url": receiver.url("/hook"), "event_types": ["*"], "secret": secret},
                    )
                    assert hook.status_code == 201
                    await seed_catalogue(intake, agency, {procedure: 4})
                    body = dossier_body(
                        procedure,
                        agency,
                        "online",
                        phone=PHONE,
                        applicant={
                            "full_name": "Alex Tran",
                            "phone": PHONE,
                            "email": EMAIL,
                            "preferred_language": "en",
                        },
                    )
                    response = await intake.post("/v1/dossiers", headers=idem(applicant), json=body)
                    assert response.status_code == 201, response.text
                    code = response.json()["dossier_code"]

                    async def officer_does(action: str, payload: dict[str, Any] | None = None) -> None:
                        async def attempt() -> bool:  # processing may still be folding the previous event
                            r = await processing.post(
                                f"/v1/dossiers/{code}/{action}", json=payload or {}, headers=officer
                            )
                            assert r.status_code in (200, 404, 409), r.text
                            return r.status_code == 200

                        assert await eventually(attempt), f"{action} was refused"

                    await officer_does("accept")
                    await officer_does("request-supplement", {"reason": "Missing a paper", "items": ["Bản sao CCCD"]})

                    async def supply() -> bool:  # once intake has read the request for papers
                        r = await intake.post(
                            f"/v1/dossiers/{code}/supplements",
                            headers=idem(applicant),
                            json={"phone": PHONE, "documents": [{"name": "CCCD.pdf"}]},
                        )
                        assert r.status_code in (201, 409), r.text
                        return r.status_code == 201

                    assert await eventually(supply)
                    new_due = datetime.now(UTC) + timedelta(days=20)
                    await officer_does(
                        "apology",
                        {
                            "reason": "Chờ ý kiến thẩm định của Sở Xây dựng",
                            "new_due_at": new_due.isoformat(),
                            "letter_id": "07/PXL",
                        },
                    )
                    await officer_does("result-ready", {"result_number": "01/GP"})
                    await officer_does("return", {"delivery": "online"})

                    expected = [
                        s.format(code=code)
                        for s in (
                            "Dossier {code} received",
                            "Receipt for dossier {code} and result date",
                            "Papers needed for dossier {code}",
                            "Papers received for dossier {code}",
                            "Apology: new result date for dossier {code}",
                            "The result of dossier {code} is ready",
                            "Result of dossier {code} returned",
                            "How did we do? Rate dossier {code}",
                        )
                    ]
                    assert await eventually(lambda: len(smtp.inbox) >= len(expected), wait=60)

                    async def settled() -> dict[str, Any] | None:
                        # Every email is in; the SMS and webhooks sent beside them may still be on their way.
                        answer = (
                            await notification.get(
                                "/v1/notifications",
                                params={"dossier_code": code},
                                headers=token(Role.OFFICER, agency=agency),
                            )
                        ).json()
                        done = all(n["status"] in ("sent", "delivered") for n in answer["data"])
                        return answer if done else None

                    history = await eventually(settled, wait=60) or {"data": [{"status": "unsettled"}]}
            finally:
                for suffix in ("_n", "_p"):
                    await mongo_db.client.drop_database(f"{mongo_db.name}{suffix}")

    assert sorted(m["Subject"] for m in smtp.inbox) == sorted(expected)
    assert {m["To"] for m in smtp.inbox} == {EMAIL}
    received = next(m for m in smtp.inbox if m["Subject"].endswith("received"))
    assert f"Sở thử nghiệm {agency}" in received.get_body().get_content()  # the name from intake's catalogue
    apology = next(m for m in smtp.inbox if m["Subject"].startswith("Apology"))
    (letter,) = list(apology.iter_attachments())
    text = " ".join(pypdf.PdfReader(io.BytesIO(letter.get_content())).pages[0].extract_text().split())
    assert "PHIẾU XIN LỖI" in text and "Số: 07/PXL" in text and "Chờ ý kiến thẩm định của Sở Xây dựng" in text
    assert {r.json()["to"] for r in receiver.at("/sms")} == {PHONE}
    assert len(receiver.at("/sms")) == 7  # every applicant message but the rating invitation, by SMS too
    hooks = receiver.at("/hook")
    assert {h.json()["event_type"] for h in hooks} >= {
        "dossier.submitted",
        "dossier.accepted",
        "dossier.apology_issued",
        "dossier.returned",
    }
    assert all(
        verify(secret, h.headers["x-motcua-timestamp"], h.body, h.headers["x-motcua-signature"], now=time.time())
        for h in hooks
    )
    assert all(n["status"] in ("sent", "delivered") for n in history["data"])
