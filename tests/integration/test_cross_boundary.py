"""Issue 18 item 6, receipt regardless of administrative boundaries, through intake's, processing's and
reporting's APIs against the real broker and store: an officer at one agency's counter receives a
dossier for another agency's procedure; `dossier.submitted` names the receiving counter beside the
competent agency; the competent agency processes it, the receiving counter may read it; reports count
it under the competent agency, as before, and by receiving counter."""

import csv
import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from support.intake_and_processing import (
    IntakeAndProcessing,
    both_running,  # noqa: F401 (the `intake_and_processing` fixture)
)
from test_intake_support import ADMIN, dossier_body, idem
from test_intake_support import token as intake_token
from test_notification_support import Dossier as NotifiedDossier
from test_notification_support import eventually as notified_eventually
from test_notification_support import (
    http_receiver,
    in_days,
    notification_settings,
    running_notification,
    smtp_sink,
)
from test_notification_support import publish as publish_events
from test_processing_support import (
    dossier_events,
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
)
from test_processing_support import token as processing_token
from test_reporting_support import reporting_settings, running_reporting
from test_reporting_support import token as reporting_token


async def test_a_dossier_received_at_another_agencys_counter(
    infrastructure: Infrastructure,
    topics: Topics,
    mongo_db: AsyncDatabase[Any],
    intake_and_processing: IntakeAndProcessing,
) -> None:
    suffix = uuid.uuid4().hex[:5].upper()
    competent, counter = f"C{suffix}", f"R{suffix}"
    procedure = f"{competent}.01"
    kafka = infrastructure.kafka_bootstrap_servers
    intake, processing = intake_and_processing.intake, intake_and_processing.processing
    r_settings = reporting_settings(kafka, infrastructure.mongodb_url, f"{mongo_db.name}_r", topics)
    async with running_reporting(r_settings) as reporting:
        for code, name in ((competent, "UBND xã Thẩm Quyền"), (counter, "UBND phường Tiếp Nhận")):
            r = await intake.post(
                "/v1/agencies", headers=idem(ADMIN), json={"agency_code": code, "name": name, "admin_level": "commune"}
            )
            assert r.status_code == 201, r.text
        r = await intake.post(
            "/v1/procedures",
            headers=idem(ADMIN),
            json={
                "procedure_code": procedure,
                "name": "Đăng ký khai sinh",
                "agency_code": competent,
                "online_level": 3,
                "processing_time": {"value": 3, "unit": "working_days"},
            },
        )
        assert r.status_code == 201, r.text

        at_counter = intake_token(Role.OFFICER, agency=counter)
        received = await intake.post(
            "/v1/dossiers",
            headers=idem(at_counter),
            json=dossier_body(procedure, competent, "direct", phone="0911222333"),
        )
        assert received.status_code == 201, received.text
        receipt = received.json()
        assert (receipt["agency_code"], receipt["receiving_agency_code"]) == (competent, counter)
        assert receipt["dossier_code"].startswith(f"{competent}-") and receipt["appointment_at"]

        # By post, from the postal service, naming the counter; the competent agency's own receipt names none.
        postal = await intake.post(
            "/v1/dossiers",
            headers=idem(intake_token(Role.INTEGRATOR)),
            json=dossier_body(procedure, competent, "postal", phone="0911222334", receiving_agency_code=counter),
        )
        assert postal.status_code == 201 and postal.json()["receiving_agency_code"] == counter, postal.text
        own = await intake.post(
            "/v1/dossiers",
            headers=idem(intake_token(Role.OFFICER, agency=competent)),
            json=dossier_body(procedure, competent, "direct", phone="0911222335"),
        )
        assert own.status_code == 201 and own.json()["receiving_agency_code"] is None, own.text

        refusals = [
            (at_counter, "direct", {"receiving_agency_code": competent}, 403, "forbidden_agency"),  # not their counter
            (intake_token(Role.OFFICER, agency="NOT-CATALOGUED"), "direct", {}, 403, "forbidden_agency"),
            (
                intake_token(Role.INTEGRATOR),
                "postal",
                {"receiving_agency_code": "NOT-CATALOGUED"},
                422,
                "receiving_agency_unknown",
            ),
            (
                intake_token(Role.APPLICANT),
                "online",
                {"receiving_agency_code": counter},
                422,
                "receiving_agency_not_allowed",
            ),
        ]
        for headers, channel, extra, status, code in refusals:
            r = await intake.post(
                "/v1/dossiers", headers=idem(headers), json=dossier_body(procedure, competent, channel, **extra)
            )
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (channel, extra, r.text)

        events = await dossier_events(kafka, topics, receipt["dossier_id"], 2)
        submitted = events[0].data
        assert (submitted.agency_code, submitted.receiving_agency_code) == (competent, counter)  # type: ignore[union-attr]

        # Processing: the competent agency's inbox and actions; the counter reads it, and may not act.
        competent_officer = processing_token(Role.OFFICER, agency=competent)
        counter_officer = processing_token(Role.OFFICER, agency=counter)
        code = receipt["dossier_code"]

        async def in_competent_inbox() -> bool:
            r = await processing.get("/v1/inbox", params={"agency_code": competent}, headers=competent_officer)
            return r.status_code == 200 and code in [item["code"] for item in r.json()["data"]]

        assert await eventually(in_competent_inbox)
        seen = await processing.get(f"/v1/dossiers/{code}", headers=counter_officer)
        assert seen.status_code == 200, seen.text
        assert (seen.json()["agency_code"], seen.json()["receiving_agency_code"]) == (competent, counter)
        acted = await processing.post(f"/v1/dossiers/{code}/suspend", headers=counter_officer, json={})
        assert acted.status_code == 403 and acted.json()["error"]["code"] == "forbidden_agency"
        acted = await processing.post(f"/v1/dossiers/{code}/suspend", headers=competent_officer, json={})
        assert acted.status_code == 200, acted.text
        other = await processing.get(f"/v1/dossiers/{own.json()['dossier_code']}", headers=counter_officer)
        assert other.status_code == 403  # received at the competent agency's own counter: not the counter's

        async def counter_inbox() -> dict[str, Any] | None:
            r = await processing.get(
                "/v1/inbox", params={"agency_code": counter, "received_at_counter": True}, headers=counter_officer
            )
            assert r.status_code == 200, r.text
            found = {line["code"]: line for line in r.json()["data"]}
            return found if len(found) == 2 else None

        lines = await eventually(counter_inbox)
        assert lines and set(lines) == {code, postal.json()["dossier_code"]}
        assert (lines[code]["agency_code"], lines[code]["receiving_agency_code"]) == (competent, counter)
        assert (await processing.get("/v1/inbox", params={"agency_code": counter}, headers=counter_officer)).json()[
            "data"
        ] == []  # its own inbox: nothing of its own to process

        # Reporting: by competent agency as before, and by receiving counter.
        day = receipt["received_at"][:10]
        assert day == own.json()["received_at"][:10], "the test ran across midnight in Hà Nội"

        async def table() -> dict[str, Any] | None:
            r = await reporting.get(
                "/v1/reports/agencies", params={"from": day, "to": day}, headers=reporting_token(Role.OFFICIAL)
            )
            assert r.status_code == 200, r.text
            rows = {row["agency_code"]: row for row in r.json()["data"]}
            done = competent in rows and rows[competent]["received"]["total"] == 3
            return rows if done and rows.get(counter, {}).get("received_at_counter", {}).get("total") == 2 else None

        rows = await eventually(table)
        assert rows, "reporting never counted the three dossiers"
        assert rows[competent]["received_at_counter"] == {"total": 1, "for_other_agencies": 0, "at_other_counters": 2}
        assert rows[counter]["received"]["total"] == 0
        assert rows[counter]["received_at_counter"] == {"total": 2, "for_other_agencies": 2, "at_other_counters": 0}
        exported = await reporting.get(
            "/v1/reports/agencies.csv",
            params={"from": day, "to": day, "lang": "en"},
            headers=reporting_token(Role.OFFICIAL),
        )
        by_code = {r["Agency code"]: r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
        assert (
            by_code[counter]["Received at its counters"],
            by_code[counter]["Received for other agencies"],
            by_code[competent]["Received at other agencies' counters"],
        ) == ("2", "2", "2")
    await mongo_db.client.drop_database(f"{mongo_db.name}_r")


async def test_the_applicants_receipt_names_the_counter_that_received_it(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = NotifiedDossier(email="binh@example.vn", language="vi")
    counter = f"R{dossier.agency[1:]}"
    at = datetime.now(UTC)
    submitted = dossier.submitted()
    submitted = submitted.model_copy(
        update={
            "data": submitted.data.model_copy(update={"channel": ev.Channel.DIRECT, "receiving_agency_code": counter})
        }
    )
    names = [
        ev.AgencyRegistered(
            occurred_at=at,
            source="test",
            data=ev.AgencyRegisteredData(agency_code=code, name=name, admin_level=ev.AdminLevel.COMMUNE),
        )
        for code, name in ((dossier.agency, "UBND xã Thẩm Quyền"), (counter, "UBND phường Tiếp Nhận"))
    ]
    own = replace(dossier, dossier_id=str(uuid.uuid4()), email="an@example.vn")
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url("/sms")
            )
            async with running_notification(settings):
                await publish_events(infrastructure.kafka_bootstrap_servers, topics.catalog_events, names)

                # catalog.events is read apart from dossier.events: the names first, as a catalogue
                # precedes the dossiers, or the receipt would name an agency by its code.
                async def names_folded() -> bool:
                    codes = [dossier.agency, counter]
                    return await mongo_db["agencies"].count_documents({"_id": {"$in": codes}}) == 2

                assert await notified_eventually(names_folded)
                await publish_events(
                    infrastructure.kafka_bootstrap_servers,
                    topics.dossier_events,
                    [submitted, dossier.accepted(in_days(5)), own.submitted(), own.accepted(in_days(5))],
                )

                def receipts(address: str) -> list[str]:  # the accepted email: the receipt with the appointment
                    return [m.get_content() for m in smtp.to(address) if "hẹn trả kết quả" in m["Subject"]]

                assert await notified_eventually(lambda: receipts("binh@example.vn") and receipts("an@example.vn"))
    receipt = receipts("binh@example.vn")[0]
    assert "tiếp nhận tại quầy của UBND phường Tiếp Nhận; UBND xã Thẩm Quyền giải quyết." in receipt, receipt
    assert "quầy" not in receipts("an@example.vn")[0]  # its own agency's counter: nothing said
