"""The summary of a hand-computed quarter, folded from the real broker into the real store: exact
figures, however the events arrive (scrambled, a late result last, redelivered, replayed)."""

from typing import Any

import pytest
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_support import (
    OFFICIAL,
    create_topics,
    folded,
    publish,
    reporting_settings,
    running_reporting,
    scenario_catalogue,
    scenario_histories,
    scrambled,
    token,
)

Q1 = {"from": "2020-01-01", "to": "2020-03-31"}


def share(count: int, percent: float) -> dict[str, Any]:
    return {"count": count, "percent": percent}


EXPECTED_Q1: dict[str, Any] = {
    "period": Q1,
    # D1 D4 D8 D10 D13 direct; D2 D7 D9 online; D3 by post. (D5 D6 D11 last year, D12 in 2016.)
    "received": {
        "total": 9,
        "by_channel": {"direct": share(5, 55.56), "online": share(3, 33.33), "postal": share(1, 11.11)},
    },
    "carried_over": 3,  # D5 (resolved 2 January), D6 (still open), D11 (resolved in February)
    # early D1 D5; on time D2 (23:30 on its due date); late D3 (06:30+07 = previous day in UTC) D4 D11
    "resolved": {
        "total": 6,
        "early": share(2, 33.33),
        "on_time": share(1, 16.67),
        "late": share(3, 50.0),
        "returned_by_post": share(1, 16.67),
        "unclassified": 0,
        # D4 had its letter before the deadline; D3 and D11 none (the breach)
        "late_with_apology": share(1, 16.67),
        "late_without_apology": share(2, 33.33),
    },
    # D7 D13 within their deadline, D6 overdue, D8 waiting for a supplement
    "in_progress": {"total": 4, "within_deadline": 2, "overdue": 1, "paused": 1},
    "refused": 1,
    "withdrawn": 1,
    "on_time_rate": 50.0,
    "late_without_apology": 2,  # D3, D11 (D4 had its letter before the deadline)
    "uncollected": 0,  # no result was announced not collected
    "by_agency": [
        {"agency_code": "STNMT", "agency_name": "Sở Tài nguyên và Môi trường", "received": 4},
        {"agency_code": "STP", "agency_name": "Sở Tư pháp", "received": 3},
        {"agency_code": "UBND-X", "agency_name": "UBND huyện X", "received": 1},
        {"agency_code": "UBND-X-Y", "agency_name": "UBND xã Y", "received": 1},
    ],
    "satisfaction": {
        "total": 4,
        "very_satisfied": share(2, 50.0),
        "satisfied": share(1, 25.0),
        "unsatisfied": share(1, 25.0),
    },
}

DOSSIER_EVENTS = sum(len(h.events) for h in scenario_histories().values())


async def summary(client: Any, headers: dict[str, str] = OFFICIAL, **params: str) -> dict[str, Any]:
    response = await client.get("/v1/reports/summary", params={**Q1, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    return await create_topics(infrastructure.kafka_bootstrap_servers, run_id)


async def test_a_scrambled_quarter_gives_the_hand_computed_figures_and_replays_change_nothing(
    infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    events = scrambled(scenario_histories())
    # Dossier events first, the catalogue after them: levels and names are joined at query time.
    await publish(kafka, own_topics, events)
    await publish(kafka, own_topics, scenario_catalogue())
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=DOSSIER_EVENTS, agencies=4, procedures=5)
        assert await summary(client) == EXPECTED_Q1

        # Redelivery: every event published a second time (same event ids).
        await publish(kafka, own_topics, events)
        await publish(kafka, own_topics, scenario_catalogue())
        await folded(mongo_db, dossier_events=DOSSIER_EVENTS, agencies=4, procedures=5)
        assert await _drained(client, settings) == EXPECTED_Q1

    # A full replay: another consumer group reads both topics from offset zero into the same store.
    replay = settings.model_copy(update={"consumer_group": settings.consumer_group + "-replay"})
    async with running_reporting(replay) as client:
        await _consumed_everything(mongo_db, client, kafka, replay)
        assert await summary(client) == EXPECTED_Q1

        # The imported 2016 history counts in its own quarter, by business time.
        old = await summary(client, **{"from": "2016-04-01", "to": "2016-06-30"})
        assert old["received"]["total"] == 1 and old["resolved"]["early"]["count"] == 1
        assert old["by_agency"] == [{"agency_code": "STP", "agency_name": "Sở Tư pháp", "received": 1}]
        # D11, received in November, counts as received in Q4 2019 and resolved (late) in Q1 2020 only.
        q4 = await summary(client, **{"from": "2019-10-01", "to": "2019-12-31"})
        assert q4["received"]["total"] == 3 and q4["resolved"]["total"] == 0
        assert q4["in_progress"] == {"total": 3, "within_deadline": 2, "overdue": 1, "paused": 0}


async def _drained(client: Any, settings: Any) -> dict[str, Any]:
    """The summary once the consumer group has caught up with the second delivery."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topics = settings.topics
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.consumer_group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        import asyncio

        tps = [TopicPartition(t, p) for t in (topics.dossier_events, topics.catalog_events) for p in range(3)]
        ends = await consumer.end_offsets(tps)
        for _ in range(200):
            committed = [await consumer.committed(tp) or 0 for tp in tps]
            if all(c >= ends[tp] for c, tp in zip(committed, tps, strict=True)):
                break
            await asyncio.sleep(0.3)
        else:
            raise AssertionError("the consumer group did not catch up")
    finally:
        await consumer.stop()
    return await summary(client)


async def _consumed_everything(db: AsyncDatabase[Any], client: Any, kafka: str, settings: Any) -> None:
    await folded(db, dossier_events=DOSSIER_EVENTS, agencies=4, procedures=5)
    await _drained(client, settings)


async def test_scopes_filters_and_roles(
    infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    await publish(kafka, own_topics, scenario_catalogue())
    await publish(kafka, own_topics, [e for h in scenario_histories().values() for e in h.events])
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=DOSSIER_EVENTS, agencies=4, procedures=5)

        # An officer of STP sees STP's figures (their agency by default), and nothing else.
        officer = token(Role.OFFICER, agency="STP")
        stp = await summary(client, officer)
        assert stp == await summary(client, agency_code="STP")
        assert stp["received"]["total"] == 3 and stp["received"]["by_channel"]["postal"]["count"] == 1
        assert stp["carried_over"] == 1 and stp["withdrawn"] == 1 and stp["refused"] == 0
        assert stp["resolved"]["late"] == share(2, 100.0)
        assert stp["in_progress"] == {"total": 1, "within_deadline": 0, "overdue": 1, "paused": 0}
        forbidden = await client.get("/v1/reports/summary", params={**Q1, "agency_code": "STNMT"}, headers=officer)
        assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden_agency"
        for role in (Role.APPLICANT, Role.INTEGRATOR):
            refused = await client.get("/v1/reports/summary", params=Q1, headers=token(role))
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_role"
        assert (await client.get("/v1/reports/summary", params=Q1)).status_code == 401

        # Administrative levels (the procedure's), and a district rolling up its commune.
        commune = await summary(client, admin_level="commune")
        assert commune["received"]["by_channel"]["online"] == share(1, 100.0)
        assert commune["in_progress"]["within_deadline"] == 1
        assert (await summary(client, admin_level="district"))["received"]["total"] == 1
        district = await summary(client, agency_code="UBND-X")
        assert district["received"]["total"] == 2
        assert [a["agency_code"] for a in district["by_agency"]] == ["UBND-X", "UBND-X-Y"]

        # Bad periods are refused with a machine-readable code.
        for params in (
            {"from": "2020-03-31", "to": "2020-01-01"},
            {"from": "2020-02-30", "to": "2020-03-01"},
            {"from": "yesterday", "to": "2020-03-01"},
            {"to": "2020-03-01"},
        ):
            bad = await client.get("/v1/reports/summary", params=params, headers=OFFICIAL)
            assert bad.status_code == 422, params
            assert bad.json()["error"]["code"] in ("invalid_period", "validation_failed")
        bad_level = await client.get("/v1/reports/summary", params={**Q1, "admin_level": "national"}, headers=OFFICIAL)
        assert bad_level.status_code == 422
