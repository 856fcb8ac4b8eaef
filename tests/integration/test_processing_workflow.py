"""Processing against the real broker and store: a dossier's whole life through events and officers'
REST actions, due times across a weekend, a holiday and a pause, illegal transitions, anomalies,
duplicates and malformed events."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.consuming import DLQ_CONSUMER, DLQ_REASON
from motcua_shared.topics import Topics, dead_letter_topic
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    BusinessClock,
    catalogue,
    catalogue_key,
    dossier_events,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    publish_raw,
    read_records,
    running_processing,
    submitted,
    token,
)

# Friday 29 August 2025, 09:00: the weekend and the National Day break (Mon 1 and Tue 2 September) follow.
FRIDAY = datetime(2025, 8, 29, 9, 0, tzinfo=PROVINCE_TZ)
THREE_WORKING_DAYS = ev.ProcessingTime(value=Decimal(3), unit=ev.TimeUnit.WORKING_DAYS)


@dataclass
class Setup:
    client: httpx.AsyncClient
    clock: BusinessClock
    infra: Infrastructure
    topics: Topics
    group: str

    async def publish(self, *events: ev.DossierEvent) -> None:
        await publish(
            self.infra.kafka_bootstrap_servers, self.topics.dossier_events, list(events), key=lambda e: e.dossier_id
        )

    async def seed(self, agency: str, procedure: str, processing_time: ev.ProcessingTime = THREE_WORKING_DAYS) -> None:
        await publish(
            self.infra.kafka_bootstrap_servers,
            self.topics.catalog_events,
            catalogue(agency, procedure, processing_time, FRIDAY - timedelta(days=30)),
            key=catalogue_key,
        )

    async def dossier(self, code: str, agency: str, *, when: Any = lambda d: True) -> dict[str, Any]:
        """GET the dossier once it exists and `when(dossier)` holds."""

        async def check() -> dict[str, Any] | None:
            response = await self.client.get(f"/v1/dossiers/{code}", headers=token(Role.OFFICER, agency=agency))
            return response.json() if response.status_code == 200 and when(response.json()) else None

        found = await eventually(check)
        assert found, f"dossier {code} never reached the expected state"
        return dict(found)

    async def act(
        self, code: str, action: str, agency: str, body: dict[str, Any] | None = None, officer: str = "officer-lan"
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/dossiers/{code}/{action}",
            json=body or {},
            headers=token(Role.OFFICER, agency=agency, subject=officer),
        )


@pytest_asyncio.fixture(loop_scope="session")
async def setup(infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]) -> AsyncIterator[Setup]:
    clock = BusinessClock(FRIDAY)
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_processing(settings, now=clock) as (_, client):
        yield Setup(client, clock, infrastructure, topics, settings.consumer_group)


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=PROVINCE_TZ)


async def test_a_dossier_through_its_whole_life(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    await setup.seed(agency, procedure)
    await setup.seed(f"{agency}X", f"{agency}X.001")
    await setup.publish(submitted(dossier_id, code, agency, procedure, FRIDAY - timedelta(hours=1)))
    dossier = await setup.dossier(code, agency)
    assert (dossier["status"], dossier["portal_status"], dossier["channel"]) == ("submitted", "receiving", "online")

    steps: list[tuple[datetime, str, dict[str, Any], str, str]] = [
        (FRIDAY, "accept", {}, "accepted", "new"),
        (
            at(3, 10),
            "request-supplement",
            {"reason": "Thiếu bản sao CCCD", "items": ["CCCD"]},
            "supplement_requested",
            "waiting",
        ),
        (at(4, 10), "receive-supplement", {}, "in_progress", "processing"),
        (at(4, 11), "request-payment", {"amount": 150000}, "awaiting_payment", "paying"),
        (at(4, 11, 30), "record-payment", {"amount": 150000}, "in_progress", "processing"),
        (at(5, 8), "suspend", {"reason": "Chờ ý kiến liên ngành"}, "suspended", "suspended"),
        (at(5, 9), "resume", {}, "in_progress", "processing"),
        (
            at(5, 10),
            "apology",
            {"reason": "Cần xác minh thực địa", "new_due_at": at(12, 17).isoformat()},
            "in_progress",
            "processing",
        ),
        (at(8, 9), "result-ready", {"result_number": "123/GP"}, "result_ready", "releasing"),
        (at(8, 10), "return", {"delivery": "postal"}, "returned", "done"),
    ]
    for when, action, body, status, portal in steps:
        setup.clock.at = when
        response = await setup.act(code, action, agency, body)
        assert response.status_code == 200, (action, response.text)
        # read-your-writes: the answer and an immediate GET both show the new state
        assert (response.json()["dossier"]["status"], response.json()["dossier"]["portal_status"]) == (status, portal)
        dossier = (await setup.client.get(f"/v1/dossiers/{code}", headers=token(Role.OFFICER, agency=agency))).json()
        assert dossier["status"] == status, action

    assert dossier["result_at"] == at(8, 9).isoformat()
    assert [h["who"] for h in dossier["history"]] == ["intake-service"] + ["officer-lan"] * len(steps)
    assert dossier["history"][2]["why"] == "Thiếu bản sao CCCD"

    # The applicant rates through intake: processing folds it from Kafka.
    await setup.publish(
        ev.DossierRated(
            occurred_at=at(8, 11),
            source="intake-service",
            dossier_id=dossier_id,
            data=ev.RatedData(rating=ev.Rating.VERY_SATISFIED),
        )
    )
    dossier = await setup.dossier(code, agency, when=lambda d: d["rating"] is not None)
    assert dossier["rating"] == "very_satisfied" and dossier["status"] == "returned"

    # On dossier.events, in order, each once (the consumer did not re-apply processing's own events).
    published = await dossier_events(setup.infra.kafka_bootstrap_servers, setup.topics, dossier_id, 12, settle=1)
    assert [e.event_type for e in published] == [
        "dossier.submitted",
        "dossier.accepted",
        "dossier.supplement_requested",
        "dossier.supplement_received",
        "dossier.payment_requested",
        "dossier.payment_completed",
        "dossier.suspended",
        "dossier.resumed",
        "dossier.apology_issued",
        "dossier.result_ready",
        "dossier.returned",
        "dossier.rated",
    ]
    assert all(e.source == "processing-service" for e in published[1:11])
    assert len(dossier["history"]) == 12 and dossier["anomalies"] == []


async def test_due_time_across_a_weekend_a_holiday_and_a_pause(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    await setup.seed(agency, procedure)
    await setup.publish(submitted(dossier_id, code, agency, procedure, FRIDAY - timedelta(hours=2)))
    await setup.dossier(code, agency)
    # Let the catalogue arrive (published before the dossier, same consumer).
    setup.clock.at = FRIDAY
    response = await eventually(lambda: _accepted(setup, code, agency))
    # Fri 09:00 + 3 working days: Fri 6.5 h; Sat, Sun off; Mon 1 and Tue 2 Sep (National Day) off;
    # Wed 8 h; Thu 8 h; Fri 5 Sep 07:30 + 1.5 h.
    assert response.json()["dossier"]["due_at"] == at(5, 9).isoformat()

    setup.clock.at = at(3, 10)
    assert (await setup.act(code, "request-supplement", agency, {"reason": "Thiếu giấy tờ"})).status_code == 200
    setup.clock.at = at(4, 10)
    response = await setup.act(code, "receive-supplement", agency)
    # Paused Wed 10:00 - Thu 10:00 = 8 working hours: Fri 5 Sep 09:00 moves to Mon 8 Sep 09:00.
    assert response.json()["dossier"]["due_at"] == at(8, 9).isoformat()
    published = await dossier_events(setup.infra.kafka_bootstrap_servers, setup.topics, dossier_id, 4)
    received = published[3]
    assert isinstance(received, ev.DossierSupplementReceived)
    assert received.data.due_at == at(8, 9)

    # The inbox shows the working time left: Thu 10:00 -> Mon 09:00 = 5.5 + 8 (Fri) + 1.5 = 15 h.
    inbox = (
        await setup.client.get("/v1/inbox", params={"agency_code": agency}, headers=token(Role.OFFICER, agency=agency))
    ).json()
    assert [(i["code"], i["remaining_working_hours"], i["overdue"]) for i in inbox["data"]] == [(code, 15.0, False)]


async def _accepted(setup: Setup, code: str, agency: str) -> httpx.Response | None:
    response = await setup.act(code, "accept", agency)
    return response if response.status_code == 200 else None


async def test_illegal_action_is_409_with_the_current_status(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    await setup.seed(agency, procedure)
    await setup.publish(submitted(dossier_id, code, agency, procedure, FRIDAY - timedelta(hours=1)))
    await setup.dossier(code, agency)

    response = await setup.act(code, "return", agency, {"delivery": "direct"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert (error["current_status"], error["current_portal_status"]) == ("submitted", "receiving")
    assert "dossier.accepted" in error["allowed_event_types"]

    assert (await setup.act(code, "resume", agency)).json()["error"]["current_status"] == "submitted"
    # another agency's officer may not act, nor read
    assert (await setup.act(code, "refuse", "OTHER", {"reason": "x"})).json()["error"]["code"] == "forbidden_agency"
    read = await setup.client.get(f"/v1/dossiers/{code}", headers=token(Role.OFFICER, agency="OTHER"))
    assert read.status_code == 403
    # an applicant may not act at all; an unknown dossier is 404; a bad body is 422
    applicant = await setup.client.post(
        f"/v1/dossiers/{code}/refuse", json={"reason": "x"}, headers=token(Role.APPLICANT)
    )
    assert applicant.status_code == 403
    assert (await setup.act("NOPE-000000-0000", "accept", agency)).status_code == 404
    assert (await setup.act(code, "refuse", agency, {"reason": ""})).status_code == 422
    # nothing of that was published or applied
    dossier = await setup.dossier(code, agency)
    assert dossier["status"] == "submitted" and len(dossier["history"]) == 1


async def test_two_officers_acting_at_once_publish_one_decision(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    await setup.seed(agency, procedure)
    await setup.publish(submitted(dossier_id, code, agency, procedure, FRIDAY - timedelta(hours=1)))
    await setup.dossier(code, agency)
    setup.clock.at = FRIDAY
    await eventually(lambda: _accepted(setup, code, agency))
    # Eight officers press "refuse" or "request supplement" on the same accepted dossier at once.
    actions = [
        ("refuse", {"reason": f"Lý do {i}"}) if i % 2 else ("request-supplement", {"reason": f"Thiếu {i}"})
        for i in range(8)
    ]
    responses = await asyncio.gather(
        *(setup.act(code, action, agency, body, officer=f"officer-{i}") for i, (action, body) in enumerate(actions))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7, [r.text for r in responses]
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    # A refusal after the supplement request won: the applicant's time for the papers has not passed.
    assert codes <= {"concurrent_action", "illegal_transition", "supplement_not_expired"}
    published = await dossier_events(setup.infra.kafka_bootstrap_servers, setup.topics, dossier_id, 3, settle=1)
    assert [e.event_type for e in published][:2] == ["dossier.submitted", "dossier.accepted"]
    assert len(published) == 3  # one decision only
    dossier = await setup.dossier(code, agency)
    assert dossier["anomalies"] == [] and len(dossier["history"]) == 3
    # The loser may try again on the new state: a refused dossier accepts nothing more (409), and a
    # dossier waiting for papers takes them in (200).
    retry = await setup.act(code, "receive-supplement", agency)
    assert retry.status_code == (200 if dossier["status"] == "supplement_requested" else 409)


async def test_out_of_order_event_is_kept_as_an_anomaly_and_duplicates_apply_once(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    first = submitted(dossier_id, code, agency, procedure, FRIDAY)
    returned_early = ev.DossierReturned(
        occurred_at=FRIDAY + timedelta(hours=1),
        source="legacy-import",
        dossier_id=dossier_id,
        data=ev.ReturnedData(delivery=ev.Delivery.DIRECT),
    )
    accepted = ev.DossierAccepted(
        occurred_at=FRIDAY + timedelta(hours=2),
        source="intake-service",
        dossier_id=dossier_id,
        data=ev.AcceptedData(due_at=at(5, 9)),
    )
    # submitted twice (a replay), returned before accepted, accepted twice
    await setup.publish(first, first, returned_early, accepted, accepted)
    dossier = await setup.dossier(code, agency, when=lambda d: d["status"] == "accepted")
    await setup.publish(
        ev.DossierOverdue(occurred_at=at(5, 9), source="x", dossier_id=dossier_id, data=ev.OverdueData(due_at=at(5, 9)))
    )
    dossier = await setup.dossier(code, agency, when=lambda d: d["overdue_at"] is not None)
    assert [h["event_type"] for h in dossier["history"]] == ["dossier.submitted", "dossier.accepted", "dossier.overdue"]
    assert [(a["event_type"], a["status"], a["source"]) for a in dossier["anomalies"]] == [
        ("dossier.returned", "submitted", "legacy-import")
    ]
    assert "not allowed on a submitted dossier" in dossier["anomalies"][0]["reason"]


async def test_a_malformed_event_goes_to_the_dead_letter_topic_with_the_reason(setup: Setup) -> None:
    agency, procedure, dossier_id, code = new_codes()
    bad = submitted(dossier_id, code, agency, procedure, FRIDAY).model_dump(mode="json")
    bad["data"]["channel"] = "carrier-pigeon"
    await publish_raw(
        setup.infra.kafka_bootstrap_servers, setup.topics.dossier_events, json.dumps(bad).encode(), key=dossier_id
    )
    dead = await read_records(
        setup.infra.kafka_bootstrap_servers,
        dead_letter_topic(setup.topics.dossier_events),
        match=lambda r: r.key == dossier_id and r.headers.get(DLQ_CONSUMER) == setup.group,
        until=bool,
    )
    assert dead, "the malformed event was not dead-lettered by processing"
    assert "channel" in dead[0].headers[DLQ_REASON]
    # and the consumer moved on: a good event after it is applied
    await setup.publish(submitted(dossier_id, code, agency, procedure, FRIDAY))
    assert (await setup.dossier(code, agency))["status"] == "submitted"
