"""Issue 18, processing's side, through its API against the real broker and store: the supplement time
(per-procedure default, reminder and expiry announced once, the inbox filter, the refusal it allows);
one apology letter, before the due time; the "due soon" list with the remaining working time; results
ready and not collected, listed."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    BusinessClock,
    catalogue_key,
    dossier_events,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)

# Monday 6 January 2025, 10:00
NOW = datetime(2025, 1, 6, 10, 0, tzinfo=PROVINCE_TZ)
CALENDAR = load_calendar()


def _accepted(agency: str, procedure: str, dossier_id: str, code: str, due_at: datetime) -> list[ev.DossierEvent]:
    received = NOW - timedelta(days=14)
    return [
        submitted(dossier_id, code, agency, procedure, received, channel=ev.Channel.DIRECT),
        ev.DossierAccepted(
            occurred_at=received, source="intake-service", dossier_id=dossier_id, data=ev.AcceptedData(due_at=due_at)
        ),
    ]


def _ready(dossier_id: str, finished_at: datetime) -> ev.DossierResultReady:
    return ev.DossierResultReady(
        occurred_at=finished_at,
        source="processing-service",
        dossier_id=dossier_id,
        data=ev.ResultReadyData(result_number="KQ-1", finished_at=finished_at),
    )


async def _publish_dossiers(infra: Infrastructure, topics: Topics, events: list[ev.DossierEvent]) -> None:
    await publish(infra.kafka_bootstrap_servers, topics.dossier_events, list(events), key=lambda e: e.dossier_id)


async def _folded(client: httpx.AsyncClient, headers: dict[str, str], code: str, status: str) -> bool:
    async def check() -> bool:
        response = await client.get(f"/v1/dossiers/{code}", headers=headers)
        return response.status_code == 200 and response.json()["status"] == status

    return bool(await eventually(check))


async def _inbox(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/inbox", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["data"]]


async def test_the_supplement_time_is_reminded_and_expires_once_and_then_allows_the_refusal(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency, procedure, dossier_id, code = new_codes()
    published = ev.ProcedurePublished(
        occurred_at=NOW - timedelta(days=30),
        source="intake-service",
        data=ev.ProcedurePublishedData(
            procedure_code=procedure,
            name="Thủ tục",
            agency_code=agency,
            admin_level=ev.AdminLevel.PROVINCIAL,
            online_level=4,
            processing_time=ev.ProcessingTime(value=10, unit=ev.TimeUnit.WORKING_DAYS),
            supplement_time=ev.WorkingDays(value=3),
        ),
    )
    await publish(infrastructure.kafka_bootstrap_servers, topics.catalog_events, [published], key=catalogue_key)
    await _publish_dossiers(
        infrastructure, topics, _accepted(agency, procedure, dossier_id, code, NOW + timedelta(days=14))
    )
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    clock = BusinessClock(NOW)
    headers = token(Role.OFFICER, agency=agency)
    async with running_processing(settings, now=clock) as (app, client):
        assert await _folded(client, headers, code, "accepted")
        assert await eventually(lambda: mongo_db["procedures"].find_one({"_id": procedure}))

        asked = await client.post(
            f"/v1/dossiers/{code}/request-supplement",
            headers=headers,
            json={"reason": "Thiếu bản sao CCCD", "items": ["Bản sao CCCD"]},
        )
        assert asked.status_code == 200, asked.text
        respond_by = CALENDAR.due_at(NOW, ev.ProcessingTime(value=3, unit=ev.TimeUnit.WORKING_DAYS))
        assert datetime.fromisoformat(asked.json()["dossier"]["supplement_respond_by"]) == respond_by
        # Still within the time: no refusal for that reason, nothing announced.
        early = await client.post(f"/v1/dossiers/{code}/refuse", headers=headers, json={"reason": "Quá hạn bổ sung"})
        assert early.status_code == 409 and early.json()["error"]["code"] == "supplement_not_expired"
        assert await app.state.clock.tick() == []

        clock.at = respond_by - timedelta(hours=1)  # within the two working days of the reminder
        assert [e.event_type for e in await app.state.clock.tick()] == ["dossier.supplement_due_soon"]
        clock.at = respond_by + timedelta(minutes=1)
        assert [e.event_type for e in await app.state.clock.tick()] == ["dossier.supplement_expired"]
        assert await app.state.clock.tick() == []

        assert await _inbox(client, headers, supplement_expired="true") == [code]
        refused = await client.post(
            f"/v1/dossiers/{code}/refuse", headers=headers, json={"reason": "Không bổ sung hồ sơ trong thời hạn"}
        )
        assert refused.status_code == 200, refused.text
        assert refused.json()["dossier"]["status"] == "refused"
        assert await _inbox(client, headers, supplement_expired="true") == []

    events = await dossier_events(infrastructure.kafka_bootstrap_servers, topics, dossier_id, 6, settle=1)
    kinds = [e.event_type for e in events]
    assert kinds.count("dossier.supplement_due_soon") == kinds.count("dossier.supplement_expired") == 1
    request = next(e for e in events if isinstance(e, ev.DossierSupplementRequested))
    assert request.data.respond_within == ev.WorkingDays(value=Decimal(3)) and request.data.respond_by == respond_by
    expired = next(e for e in events if isinstance(e, ev.DossierSupplementExpired))
    assert expired.occurred_at == respond_by
    refusal = next(e for e in events if isinstance(e, ev.DossierRefused))
    assert refusal.data.reason_code is ev.RefusalReason.SUPPLEMENT_EXPIRED


async def test_one_apology_letter_and_only_before_the_due_time(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency, procedure, in_time_id, in_time = new_codes()
    _, _, late_id, late = new_codes()
    due = CALENDAR.add(NOW, timedelta(hours=2))
    await _publish_dossiers(
        infrastructure,
        topics,
        [
            *_accepted(agency, procedure, in_time_id, in_time, due),
            *_accepted(agency, procedure, late_id, late, NOW - timedelta(hours=1)),
        ],
    )
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    headers = token(Role.OFFICER, agency=agency)
    async with running_processing(settings, now=BusinessClock(NOW)) as (_, client):
        for code in (in_time, late):
            assert await _folded(client, headers, code, "accepted")

        def letter(new_due_at: datetime) -> dict[str, str]:
            return {"reason": "Cần xác minh thực địa", "new_due_at": new_due_at.isoformat()}

        url = f"/v1/dossiers/{in_time}/apology"
        not_later = await client.post(url, headers=headers, json=letter(due - timedelta(minutes=30)))
        assert not_later.status_code == 422 and not_later.json()["error"]["code"] == "appointment_not_later"
        first = await client.post(url, headers=headers, json=letter(due + timedelta(days=3)))
        assert first.status_code == 200, first.text
        second = await client.post(url, headers=headers, json=letter(due + timedelta(days=5)))
        assert second.status_code == 409 and second.json()["error"]["code"] == "apology_already_issued"
        too_late = await client.post(
            f"/v1/dossiers/{late}/apology", headers=headers, json=letter(NOW + timedelta(days=3))
        )
        assert too_late.status_code == 409 and too_late.json()["error"]["code"] == "apology_too_late"
        assert "quá hạn" in too_late.json()["error"]["message"]
        assert (await client.get(f"/v1/dossiers/{late}", headers=headers)).json()["apology_due_at"] is None


async def test_the_due_soon_list_the_remaining_working_time_and_results_not_collected(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    agency, procedure, soon_id, soon = new_codes()
    codes = {name: new_codes()[2:] for name in ("later", "overdue", "waiting", "fresh_result")}
    await _publish_dossiers(
        infrastructure,
        topics,
        [
            *_accepted(agency, procedure, soon_id, soon, CALENDAR.add(NOW, timedelta(hours=4))),
            *_accepted(agency, procedure, *codes["later"], CALENDAR.add(NOW, timedelta(hours=24))),
            *_accepted(agency, procedure, *codes["overdue"], NOW - timedelta(hours=2)),
            *_accepted(agency, procedure, *codes["waiting"], NOW - timedelta(days=3)),
            _ready(codes["waiting"][0], NOW - timedelta(days=10)),  # Friday 27 December: 5 working days ago
            *_accepted(agency, procedure, *codes["fresh_result"], NOW + timedelta(days=3)),
            _ready(codes["fresh_result"][0], NOW - timedelta(hours=1)),
        ],
    )
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        uncollected_after_days=5,
    )
    headers = token(Role.OFFICER, agency=agency)
    async with running_processing(settings, now=BusinessClock(NOW)) as (app, client):
        assert await _folded(client, headers, codes["fresh_result"][1], "result_ready")
        assert await _folded(client, headers, codes["waiting"][1], "result_ready")
        for name in ("later", "overdue"):
            assert await _folded(client, headers, codes[name][1], "accepted")

        assert await _inbox(client, headers, due_within_hours=8) == [soon]
        assert await _inbox(client, headers, due_within_hours=30) == [soon, codes["later"][1]]
        view = (await client.get(f"/v1/dossiers/{soon}", headers=headers)).json()
        assert view["remaining_working_minutes"] == 240
        assert (view["deadline_state"], view["deadline_label"]) == ("due_soon", "sắp trễ · due soon")
        overdue = (await client.get(f"/v1/dossiers/{codes['overdue'][1]}", headers=headers)).json()
        assert overdue["deadline_label"] == "quá hạn · overdue" and overdue["remaining_working_minutes"] < 0
        later = (await client.get(f"/v1/dossiers/{codes['later'][1]}", headers=headers)).json()
        assert later["deadline_label"] == "trong hạn · within deadline"

        assert await _inbox(client, headers, uncollected="true") == []
        announced = [e for e in await app.state.clock.tick() if e.event_type == "dossier.result_uncollected"]
        assert [e.dossier_id for e in announced] == [codes["waiting"][0]]
        assert not [e for e in await app.state.clock.tick() if e.event_type == "dossier.result_uncollected"]
        assert await _inbox(client, headers, uncollected="true") == [codes["waiting"][1]]
