"""Where a deadline ends, through processing's API against the real broker and store: whatever the
unit of the procedure's processing time, a deadline ends at the end of a working day (17:00), never
at the opening of the next one (07:30). See shared/src/motcua_shared/calendar/README.md."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_processing_support import (
    BusinessClock,
    catalogue,
    catalogue_key,
    eventually,
    new_codes,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    running_processing,
    submitted,
    token,
)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=PROVINCE_TZ)


def days(value: int, unit: ev.TimeUnit) -> ev.ProcessingTime:
    return ev.ProcessingTime(value=Decimal(value), unit=unit)


async def _accept(
    client: httpx.AsyncClient,
    clock: BusinessClock,
    infra: Infrastructure,
    topics: Topics,
    processing_time: ev.ProcessingTime,
    accepted_at: datetime,
) -> str:
    """An online dossier of a procedure taking `processing_time`, accepted by an officer at
    `accepted_at`: the due time processing answers."""
    agency, procedure, dossier_id, code = new_codes()
    await publish(
        infra.kafka_bootstrap_servers,
        topics.catalog_events,
        catalogue(agency, procedure, processing_time, accepted_at - timedelta(days=30)),
        key=catalogue_key,
    )
    await publish(
        infra.kafka_bootstrap_servers,
        topics.dossier_events,
        [submitted(dossier_id, code, agency, procedure, accepted_at - timedelta(hours=1))],
        key=lambda e: e.dossier_id,
    )
    clock.at = accepted_at

    async def accepted() -> dict[str, Any] | None:
        response = await client.post(f"/v1/dossiers/{code}/accept", json={}, headers=token(Role.OFFICER, agency=agency))
        return response.json() if response.status_code == 200 else None

    answer = await eventually(accepted)
    assert answer, f"dossier {code} could not be accepted"
    due_at: str = answer["dossier"]["due_at"]
    return due_at


async def test_a_deadline_ends_at_the_end_of_a_working_day_whatever_its_unit(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    clock = BusinessClock(at(3, 1, 9))
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_processing(settings, now=clock) as (_, client):

        async def due(value: int, unit: ev.TimeUnit, accepted_at: datetime) -> str:
            return await _accept(client, clock, infrastructure, topics, days(value, unit), accepted_at)

        # Accepted on Sunday 3 March 2024: the clock starts Monday 4 March 07:30. Two working days
        # end Tuesday 17:00; two calendar days end on Wednesday, at its end (not at its opening).
        sunday = at(3, 3, 10)
        assert await due(2, ev.TimeUnit.WORKING_DAYS, sunday) == at(3, 5, 17).isoformat()
        assert await due(2, ev.TimeUnit.CALENDAR_DAYS, sunday) == at(3, 6, 17).isoformat()
        # Monday 4 March 09:00 + 5 calendar days = Saturday 9 March: the deadline ends at the end
        # of the next working day, Monday 11 March 17:00 (not Monday 07:30).
        assert await due(5, ev.TimeUnit.CALENDAR_DAYS, at(3, 4, 9)) == at(3, 11, 17).isoformat()
        # Landing on a working day, it ends at the end of that day: Thursday 7 March 17:00.
        assert await due(3, ev.TimeUnit.CALENDAR_DAYS, at(3, 4, 9)) == at(3, 7, 17).isoformat()
        # Working days keep their working-time arithmetic (DOMAIN.md: one working day = 8 working
        # hours): Friday 15 March 16:00 + 1 working day = Monday 18 March 16:00.
        assert await due(1, ev.TimeUnit.WORKING_DAYS, at(3, 15, 16)) == at(3, 18, 16).isoformat()
