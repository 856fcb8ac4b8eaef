"""The clock against the real broker and store: `dossier.overdue` published exactly once per dossier
with two processing instances ticking at the same time and across a restart; a claim left behind by
an instance that died between claim and publish is taken over and published with the same event id;
a due-soon warning a configured number of working hours before the due time."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from motcua_processing.adapters.announcements import PUBLISHED
from motcua_processing.service_layer.clock import announcement_id
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from support.kafka_log import dossier_log
from test_processing_support import (
    BusinessClock,
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


async def _accepted_dossier(infra: Infrastructure, topics: Topics, due_at: datetime) -> tuple[str, str, str]:
    """A counter dossier accepted by intake with `due_at`, published on dossier.events."""
    agency, procedure, dossier_id, code = new_codes()
    received = NOW - timedelta(days=7)
    await publish(
        infra.kafka_bootstrap_servers,
        topics.dossier_events,
        [
            submitted(dossier_id, code, agency, procedure, received, channel=ev.Channel.DIRECT),
            ev.DossierAccepted(
                occurred_at=received,
                source="intake-service",
                dossier_id=dossier_id,
                data=ev.AcceptedData(due_at=due_at),
            ),
        ],
        key=lambda e: e.dossier_id,
    )
    return agency, dossier_id, code


async def _overdue_records(infra: Infrastructure, topics: Topics, dossier_id: str) -> list[Any]:
    """The dossier's `dossier.overdue` events on the topic (read once the instances have stopped, so
    that everything they published is there, a duplicate included)."""
    events = await dossier_log(infra.kafka_bootstrap_servers, topics, dossier_id)
    return [e for e in events if e.event_type == "dossier.overdue"]


async def _claim_left_behind(mongo_db: AsyncDatabase[Any], dossier_id: str, due_at: datetime) -> ev.DossierOverdue:
    """What an instance that died after claiming the dossier's overdue announcement, before marking it
    published, leaves in the store: the claim, `publishing`, its lease long run out. The event it holds."""
    event = ev.DossierOverdue(
        event_id=announcement_id(dossier_id, "overdue"),
        occurred_at=due_at,
        source="processing-service",
        dossier_id=dossier_id,
        data=ev.OverdueData(due_at=due_at),
    )
    await mongo_db["announcements"].insert_one(
        {
            "_id": str(event.event_id),
            "dossier_id": dossier_id,
            "kind": "overdue",
            "state": "publishing",
            "claimed_at": datetime.now(PROVINCE_TZ) - timedelta(minutes=5),
            "takeovers": 0,
            "event": event.to_bytes().decode(),
        }
    )
    return event


async def test_overdue_is_published_once_by_two_instances_and_after_a_restart(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    due_at = NOW - timedelta(hours=1)
    agency, dossier_id, code = await _accepted_dossier(infrastructure, topics, due_at)
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        scheduler_enabled=True,
        scheduler_interval_seconds=0.05,
    )
    clock = BusinessClock(NOW - timedelta(hours=2))  # not due yet while the dossier arrives
    headers = token(Role.OFFICER, agency=agency)
    async with (
        running_processing(settings, now=clock) as (app_a, client_a),
        running_processing(settings, now=clock) as (app_b, _),
    ):

        async def folded() -> bool:
            response = await client_a.get(f"/v1/dossiers/{code}", headers=headers)
            return response.status_code == 200 and response.json()["status"] == "accepted"

        assert await eventually(folded)
        clock.at = NOW  # both instances' clocks see it due on their next ticks, a few ms apart
        # and both tick by hand at the very same moment as well
        await asyncio.gather(*(app.state.clock.tick() for app in (app_a, app_b, app_a, app_b)))

        async def announced() -> dict[str, Any] | None:
            response = (await client_a.get(f"/v1/dossiers/{code}", headers=headers)).json()
            return response if response["overdue_at"] else None

        dossier = await eventually(announced)
        assert dossier and dossier["overdue_at"] == due_at.isoformat()
        await asyncio.sleep(1)  # many more ticks of both
    overdue = await _overdue_records(infrastructure, topics, dossier_id)
    assert len(overdue) == 1
    assert overdue[0].event_id == announcement_id(dossier_id, "overdue")
    assert overdue[0].data.due_at == due_at and overdue[0].source == "processing-service"

    # A restart (same database, same consumer group): nothing announced again.
    clock.at = NOW + timedelta(days=1)
    async with running_processing(settings, now=clock) as (app_c, client_c):
        await app_c.state.clock.tick()
        await asyncio.sleep(1)
        dossier = (await client_c.get(f"/v1/dossiers/{code}", headers=headers)).json()
        assert [h["event_type"] for h in dossier["history"]].count("dossier.overdue") == 1
    assert len(await _overdue_records(infrastructure, topics, dossier_id)) == 1


async def test_a_claim_left_by_a_dead_instance_is_published_with_the_same_event_id(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    due_at = NOW - timedelta(hours=3)
    agency, dossier_id, code = await _accepted_dossier(infrastructure, topics, due_at)
    # An instance died right after claiming (before publishing).
    event_id = (await _claim_left_behind(mongo_db, dossier_id, due_at)).event_id
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        announcement_lease_seconds=60,
    )
    async with (
        running_processing(settings, now=BusinessClock(NOW)) as (app_a, client),
        running_processing(settings, now=BusinessClock(NOW)) as (app_b, _),
    ):
        headers = token(Role.OFFICER, agency=agency)

        async def folded() -> bool:
            response = await client.get(f"/v1/dossiers/{code}", headers=headers)
            return response.status_code == 200

        assert await eventually(folded)
        await asyncio.gather(app_a.state.clock.tick(), app_b.state.clock.tick())
        await asyncio.gather(app_a.state.clock.tick(), app_b.state.clock.tick())
        claim = await mongo_db["announcements"].find_one({"_id": str(event_id)})
        assert claim["state"] == PUBLISHED and claim["takeovers"] == 1
    overdue = await _overdue_records(infrastructure, topics, dossier_id)
    assert [e.event_id for e in overdue] == [event_id]


async def test_a_claim_whose_event_reached_the_topic_before_its_holder_died_is_not_published_again(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    due_at = NOW - timedelta(hours=3)
    agency, dossier_id, code = await _accepted_dossier(infrastructure, topics, due_at)
    # An instance died right after publishing (before marking its claim): the event on the topic,
    # the claim still `publishing`.
    event = await _claim_left_behind(mongo_db, dossier_id, due_at)
    event_id = event.event_id
    await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [event], key=lambda e: e.dossier_id)
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        announcement_lease_seconds=60,
    )
    async with running_processing(settings, now=BusinessClock(NOW)) as (app, client):
        headers = token(Role.OFFICER, agency=agency)

        async def overdue_folded() -> bool:
            response = await client.get(f"/v1/dossiers/{code}", headers=headers)
            return response.status_code == 200 and response.json()["overdue_at"] is not None

        assert await eventually(overdue_folded)  # processing's consumer read it back from the topic
        await app.state.clock.tick()
        await app.state.clock.tick()
        claim = await mongo_db["announcements"].find_one({"_id": str(event_id)})
        assert claim["state"] == PUBLISHED
    overdue = await _overdue_records(infrastructure, topics, dossier_id)
    assert [e.event_id for e in overdue] == [event_id]


async def test_due_soon_is_announced_once_the_configured_working_hours_before(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    # Due Tuesday 7 January 2025 at 09:30; warn 8 working hours before.
    due_at = datetime(2025, 1, 7, 9, 30, tzinfo=PROVINCE_TZ)
    agency, dossier_id, code = await _accepted_dossier(infrastructure, topics, due_at)
    far = await _accepted_dossier(infrastructure, topics, due_at + timedelta(days=7))
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        due_soon_working_hours=8,
    )
    clock = BusinessClock(datetime(2025, 1, 6, 9, 0, tzinfo=PROVINCE_TZ))  # 8.5 working hours before
    async with running_processing(settings, now=clock) as (app, client):
        headers = token(Role.OFFICER, agency=agency)

        async def folded() -> bool:
            return (await client.get(f"/v1/dossiers/{code}", headers=headers)).status_code == 200

        assert await eventually(folded)
        assert await app.state.clock.tick() == []
        clock.at = datetime(2025, 1, 6, 13, 0, tzinfo=PROVINCE_TZ)  # now within 8 working hours
        published = await app.state.clock.tick()
        mine = [e for e in published if e.dossier_id == dossier_id]
        assert [e.event_type for e in mine] == ["dossier.due_soon"]
        # Mon 13:00 -> Tue 09:30 = 4 h (Mon afternoon) + 2 h (Tue morning) = 6 working hours
        assert mine[0].data.remaining_working_hours == 6
        assert all(e.dossier_id != far[1] for e in published)
        assert await app.state.clock.tick() == []  # once
        dossier = (await client.get(f"/v1/dossiers/{code}", headers=headers)).json()
        assert dossier["due_soon_at"] == clock.at.isoformat() and dossier["status"] == "accepted"
        inbox = (await client.get("/v1/inbox", params={"agency_code": agency}, headers=headers)).json()
        assert inbox["data"][0]["remaining_working_hours"] == 6.0
    assert str(uuid.UUID(str(mine[0].event_id))) == str(announcement_id(dossier_id, "due_soon"))
