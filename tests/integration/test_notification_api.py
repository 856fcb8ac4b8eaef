"""Notification's API against the real store and broker: templates (a new version with an unknown
placeholder refused with a machine-readable code, a valid one used by the next message), webhook
subscriptions, agency contacts, and who may read a dossier's history."""

import sys
from pathlib import Path
from typing import Any

from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    eventually,
    http_receiver,
    notification_settings,
    own_topics,
    publish,
    running_notification,
    smtp_sink,
    token,
)

topics = own_topics
ADMIN = token(Role.ADMIN)


async def test_templates_are_listed_and_versioned_and_an_unknown_placeholder_is_refused(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(email="hoa@example.vn")
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url("/sms")
            )
            async with running_notification(settings) as (_, client):
                listed = await client.get("/v1/templates", headers=ADMIN)
                assert listed.status_code == 200
                by_id = {t["id"]: t for t in listed.json()["data"]}
                received = by_id["applicant.received.email"]
                assert received["version"] == 1 and received["channel"] == "email"
                assert "dossier_code" in received["placeholders"] and "reason" not in received["placeholders"]

                refused = await client.put(
                    "/v1/templates/applicant.received.email",
                    headers=ADMIN,
                    json={"vi": {"subject": "Hồ sơ {dossier_code}", "body": "Lý do: {reason}"}},
                )
                assert refused.status_code == 422
                error = refused.json()["error"]
                assert error["code"] == "unknown_placeholder"
                assert error["fields"][0]["field"] == "body.vi.body" and "{reason}" in error["message"]

                malformed = await client.put(
                    "/v1/templates/applicant.received.email",
                    headers=ADMIN,
                    json={"vi": {"subject": "Hồ sơ {dossier_code", "body": "x"}},
                )
                assert malformed.json()["error"]["code"] == "malformed_template"
                no_subject = await client.put(
                    "/v1/templates/applicant.received.email",
                    headers=ADMIN,
                    json={"vi": {"body": "Hồ sơ {dossier_code}"}},
                )
                assert no_subject.json()["error"]["code"] == "missing_subject"
                missing = await client.put(
                    "/v1/templates/applicant.nothing.email", headers=ADMIN, json={"vi": {"subject": "s", "body": "b"}}
                )
                assert (missing.status_code, missing.json()["error"]["code"]) == (404, "template_not_found")
                officer = await client.put(
                    "/v1/templates/applicant.received.email",
                    headers=token(Role.OFFICER),
                    json={"vi": {"subject": "s", "body": "b"}},
                )
                assert (officer.status_code, officer.json()["error"]["code"]) == (403, "forbidden_role")

                updated = await client.put(
                    "/v1/templates/applicant.received.email",
                    headers=ADMIN,
                    json={
                        "vi": {"subject": "Trung tâm đã nhận hồ sơ {dossier_code}", "body": "Chào {applicant_name}."}
                    },
                )
                assert updated.status_code == 200 and updated.json()["version"] == 2
                listed = await client.get("/v1/templates", headers=ADMIN)
                assert {t["id"]: t["version"] for t in listed.json()["data"]}["applicant.received.email"] == 2

                # The next message uses version 2.
                await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.submitted()])
                assert await eventually(lambda: smtp.inbox)
                history = await client.get("/v1/notifications", params={"dossier_code": dossier.code}, headers=ADMIN)
    assert smtp.inbox[0]["Subject"] == f"Trung tâm đã nhận hồ sơ {dossier.code}"
    assert smtp.inbox[0].get_content().strip() == "Chào Nguyễn Thị Hoa."
    assert history.json()["data"][0]["template_version"] == 2


async def test_webhook_subscriptions_agency_contacts_and_access_to_history(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = notification_settings(
        infrastructure, mongo_db.name, topics, smtp_port=1, sms_url="http://127.0.0.1:1/", dispatcher_enabled=False
    )
    async with running_notification(settings, consume=False) as (_, client):
        unknown = await client.post(
            "/v1/webhooks",
            headers=ADMIN,
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["dossier.accepted", "dossier.teleported"]},
        )
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (422, "unknown_event_type")
        bad_url = await client.post("/v1/webhooks", headers=ADMIN, json={"url": "not a url", "event_types": ["*"]})
        assert (bad_url.status_code, bad_url.json()["error"]["code"]) == (422, "validation_failed")
        created = await client.post(
            "/v1/webhooks",
            headers=ADMIN,
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["dossier.accepted", "dossier.refused"]},
        )
        assert created.status_code == 201
        subscription = created.json()
        assert len(subscription["secret"]) >= 32
        listed = await client.get("/v1/webhooks", headers=ADMIN)
        assert [w["id"] for w in listed.json()["data"]] == [subscription["id"]]
        assert "secret" not in listed.json()["data"][0]
        assert (await client.get("/v1/webhooks", headers=token(Role.INTEGRATOR))).status_code == 403
        assert (await client.delete(f"/v1/webhooks/{subscription['id']}", headers=ADMIN)).status_code == 204
        gone = await client.delete(f"/v1/webhooks/{subscription['id']}", headers=ADMIN)
        assert (gone.status_code, gone.json()["error"]["code"]) == (404, "webhook_not_found")

        bad = await client.put("/v1/agencies/STNMT/contacts", headers=ADMIN, json={"emails": ["not-an-email"]})
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "validation_failed")
        contacts = await client.put(
            "/v1/agencies/STNMT/contacts", headers=ADMIN, json={"emails": ["vanthu@stnmt.gov.vn"], "language": "vi"}
        )
        assert contacts.status_code == 200 and contacts.json()["emails"] == ["vanthu@stnmt.gov.vn"]
        assert (await client.get("/v1/agencies/STNMT/contacts", headers=ADMIN)).json()["language"] == "vi"

        assert (await client.get("/v1/notifications", params={"dossier_code": "X"})).status_code == 401
        no_code = await client.get("/v1/notifications", headers=ADMIN)
        assert (no_code.status_code, no_code.json()["error"]["code"]) == (422, "validation_failed")
        applicant = await client.get("/v1/notifications", params={"dossier_code": "X"}, headers=token(Role.APPLICANT))
        assert applicant.status_code == 403

    # An officer reads only their own agency's dossiers.
    dossier = Dossier(email="binh@example.vn")
    async with running_notification(settings) as (app, client):
        await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.submitted()])
        assert await eventually(lambda: app.state.notifier.deliveries.history(dossier.code))
        params = {"dossier_code": dossier.code}
        other = await client.get("/v1/notifications", params=params, headers=token(Role.OFFICER, agency="OTHER"))
        assert (other.status_code, other.json()["error"]["code"]) == (403, "forbidden_agency")
        own = await client.get("/v1/notifications", params=params, headers=token(Role.OFFICER, agency=dossier.agency))
        assert own.status_code == 200
        assert [n["template"] for n in own.json()["data"]] == ["applicant.received.email"]
        assert own.json()["data"][0]["status"] == "pending"  # the dispatcher is off in this test
