"""An agency's inbox against the real broker and store: sorted by the store, the most overdue first
and dossiers without a due time last, whatever the page size, and paged with an opaque cursor."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
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

NOW = datetime(2025, 9, 10, 9, 0, tzinfo=PROVINCE_TZ)


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = processing_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_processing(settings, now=BusinessClock(NOW)) as (_, http):
        yield http


def _dossier(
    agency: str, n: int, received: datetime, due_at: datetime | None = None, refused: bool = False
) -> tuple[str, list[ev.DossierEvent]]:
    """A dossier of `agency` received at `received`, then refused, or accepted with `due_at` when given."""
    dossier_id = str(uuid.uuid4())
    code = f"{agency}-250910-{n:04d}"
    events: list[ev.DossierEvent] = [submitted(dossier_id, code, agency, f"{agency}.001", received)]
    if refused:
        events.append(
            ev.DossierRefused(
                occurred_at=received,
                source="intake-service",
                dossier_id=dossier_id,
                data=ev.RefusedData(reason="Không đủ điều kiện"),
            )
        )
    elif due_at is not None:
        events.append(
            ev.DossierAccepted(
                occurred_at=received,
                source="intake-service",
                dossier_id=dossier_id,
                data=ev.AcceptedData(due_at=due_at),
            )
        )
    return code, events


async def _page(client: httpx.AsyncClient, agency: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/v1/inbox", params={"agency_code": agency, **params}, headers=token(Role.OFFICER, agency=agency)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_most_overdue_come_first_whatever_the_limit_and_pages_follow_a_cursor(
    client: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_codes()[0]
    # Published first, so a store read in natural order would give them first.
    waiting_short = _dossier(agency, 1, NOW - timedelta(days=2))
    waiting_long = _dossier(agency, 2, NOW - timedelta(days=20))
    due_later = _dossier(agency, 3, NOW - timedelta(days=3), due_at=NOW + timedelta(days=3))
    tied = [
        _dossier(agency, n, NOW - timedelta(days=900), due_at=datetime(2023, 6, 1, 17, tzinfo=PROVINCE_TZ))
        for n in (4, 5, 6)
    ]
    most_overdue = _dossier(agency, 7, NOW - timedelta(days=1400), due_at=datetime(2021, 11, 5, 17, tzinfo=PROVINCE_TZ))
    refused = _dossier(agency, 8, NOW - timedelta(days=2000), refused=True)
    elsewhere = _dossier(f"{agency}X", 9, NOW - timedelta(days=2000), due_at=datetime(2020, 1, 1, tzinfo=PROVINCE_TZ))
    everything = [waiting_short, waiting_long, due_later, *tied, most_overdue, refused, elsewhere]
    await publish(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        [e for _, events in everything for e in events],
        key=lambda e: e.dossier_id,
    )

    async def all_folded() -> bool:
        page = await _page(client, agency, limit=1000)
        return page["count"] == 7 and sum(item["due_at"] is not None for item in page["data"]) == 5

    assert await eventually(all_folded), "the dossiers were never folded"

    # limit=1: the dossier overdue by years, not whichever the store holds first.
    first = await _page(client, agency, limit=1)
    assert [item["code"] for item in first["data"]] == [most_overdue[0]]
    assert first["count"] == 1 and first["data"][0]["overdue"] is True
    assert first["next_cursor"]

    # The whole inbox page by page: soonest due first (ties in a stable order), then the dossiers
    # without a due time, the longest waiting first; each once, and no cursor after the last page.
    tied_codes = [item["code"] for item in (await _page(client, agency, limit=1000))["data"][1:4]]
    assert sorted(tied_codes) == sorted(code for code, _ in tied)
    expected = [most_overdue[0], *tied_codes, due_later[0], waiting_long[0], waiting_short[0]]
    seen = [item["code"] for item in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = await _page(client, agency, limit=2, cursor=cursor)
        assert 1 <= page["count"] == len(page["data"]) <= 2
        seen += [item["code"] for item in page["data"]]
        cursor = page["next_cursor"]
    assert seen == expected

    whole = await _page(client, agency)  # the default limit holds it all: no next page
    assert [item["code"] for item in whole["data"]] == expected and whole["next_cursor"] is None
    # A page that ends exactly at the last dossier says there is nothing after it.
    exact = await _page(client, agency, limit=len(expected))
    assert exact["count"] == len(expected) and exact["next_cursor"] is None


async def test_a_status_filter_pages_the_same_way_and_a_bad_cursor_is_422(
    client: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_codes()[0]
    dossiers = [_dossier(agency, n, NOW - timedelta(days=n), due_at=NOW - timedelta(days=n)) for n in range(1, 6)]
    dossiers.append(_dossier(agency, 9, NOW - timedelta(days=30)))  # submitted: filtered out below
    await publish(
        infrastructure.kafka_bootstrap_servers,
        topics.dossier_events,
        [e for _, events in dossiers for e in events],
        key=lambda e: e.dossier_id,
    )

    async def all_folded() -> bool:
        return (await _page(client, agency, status="accepted"))["count"] == 5

    assert await eventually(all_folded), "the dossiers were never folded"
    first = await _page(client, agency, status="accepted", limit=3)
    rest = await _page(client, agency, status="accepted", limit=3, cursor=first["next_cursor"])
    codes = [item["code"] for item in first["data"] + rest["data"]]
    assert codes == [code for code, _ in reversed(dossiers[:5])]  # the longest overdue first
    assert rest["next_cursor"] is None

    # not base64, {"x": 1}, [], [0.0, null, "x"], a naive time, a time the store cannot hold
    for bad in (
        "not-a-cursor",
        "eyJ4IjogMX0",
        "W10",
        "WzAuMCwgbnVsbCwgIngiXQ",
        "WzAsICIyMDI1LTAxLTAxVDAwOjAwOjAwIiwgIngiXQ",
        "WzAsICIwMDAxLTAxLTAxVDAwOjAwOjAwKzE0OjAwIiwgIngiXQ",
    ):
        response = await client.get(
            "/v1/inbox", params={"agency_code": agency, "cursor": bad}, headers=token(Role.OFFICER, agency=agency)
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "invalid_cursor"
