"""The Decision 766 scorecard and the published (frozen) reports, on a generated quarter over the
sample catalogue's three levels, folded by the real consumer from the real broker:
- every scorecard indicator (value, points, maximum, assessed) and the totals equal a brute-force
  recount (tests/support/scorecard_truth.py), for the province, an agency, a level and a span;
- a report published for Q1 reads back byte for byte after more Q1 events arrive, while the live
  figures change; its diff names the changed figures and counts the events that came late, the
  same after a rebuild from offset zero;
- only officials publish; an officer reads their own agency's published reports only."""

import copy
import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from motcua_reporting.service_layer.rebuild import rebuild
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.topics import Topics
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from support.scorecard_truth import scorecard_truth
from test_reporting_oracle import Oracle
from test_reporting_random_histories import oracle_start, publish_records
from test_reporting_support import OFFICIAL, create_topics, folded, reporting_settings, running_reporting, token

SEED = 7661
Q1 = (date(2025, 1, 1), date(2025, 3, 31))
CALENDAR = load_calendar()
LATE = 12  # dossiers submitted in Q1 whose events all arrive after the publication


@pytest.fixture
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    return await create_topics(infrastructure.kafka_bootstrap_servers, run_id)


def digitisation(histories: list[list[Any]]) -> list[list[Any]]:
    """The histories with the digitisation flags set from each dossier's own seed: most submissions
    list digitised documents (some not, some none), most results say whether they were electronic."""
    flagged = []
    for history in histories:
        rng = random.Random(history[0].dossier_id)
        events = []
        for event in history:
            if event.event_type == "dossier.submitted":
                roll = rng.random()
                documents = (
                    None
                    if roll < 0.15
                    else [
                        ev.Document(name="Tờ khai", digitised=True),
                        ev.Document(name="Bản sao CCCD", digitised=roll < 0.8),
                    ]
                )
                event = event.model_copy(update={"data": event.data.model_copy(update={"documents": documents})})
            elif event.event_type == "dossier.result_ready":
                roll = rng.random()
                electronic = None if roll < 0.15 else roll < 0.6
                event = event.model_copy(
                    update={"data": event.data.model_copy(update={"electronic_result": electronic})}
                )
            events.append(event)
        flagged.append(events)
    return flagged


def period(start: date, end: date, **more: str) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat(), **more}


def in_q1(at: datetime) -> bool:
    return Q1[0] <= at.astimezone(PROVINCE_TZ).date() <= Q1[1]


async def check_scorecards(client: httpx.AsyncClient, oracle: Oracle) -> None:
    asked = [
        (*Q1, None, None),
        (*Q1, "UBND-HT", None),
        (*Q1, None, "commune"),
        (*Q1, None, "provincial"),
        (date(2025, 2, 10), date(2025, 4, 20), None, None),
    ]
    for start, end, agency, level in asked:
        params = period(
            start, end, **({"agency_code": agency} if agency else {}), **({"admin_level": level} if level else {})
        )
        response = await client.get("/v1/reports/scorecard", params=params, headers=OFFICIAL)
        assert response.status_code == 200, response.text
        card = response.json()
        truth = scorecard_truth(oracle, start, end, agency, level)
        got = {
            i["code"]: {k: i[k] for k in ("value", "points", "max_points", "assessed")}
            for g in card["groups"]
            for i in g["indicators"]
        }
        assert got == truth["indicators"], params
        assert (card["total_points"], card["max_points"]) == (truth["total_points"], truth["max_points"]), params
        assert [g["code"] for g in card["groups"]] == [
            "publicity",
            "progress",
            "online_services",
            "online_payment",
            "digitisation",
            "satisfaction",
        ]
        for group in card["groups"]:
            assessed = [i for i in group["indicators"] if i["assessed"]]
            assert group["max_points"] == sum(i["max_points"] for i in assessed)
            assert all(i["note_vi"] and i["note_en"] for i in group["indicators"])
        assert card["scope"]["agency_code"] == agency and card["period"] == {"from": params["from"], "to": params["to"]}
    q1 = scorecard_truth(oracle, *Q1)["indicators"]
    # The quarter has data for every indicator our events allow, and none for the others.
    assert all(
        row["assessed"]
        for code, row in q1.items()
        if code
        not in (
            "procedures_published_on_time",
            "dossiers_published_on_portal",
            "digitised_data_reused",
            "feedback_on_time",
            "feedback_satisfaction",
        )
    ), q1
    assert 0 < q1["digitised_dossiers"]["value"] < 100 and 0 < q1["electronic_results"]["value"] < 100


async def test_the_scorecard_and_a_published_quarter(
    infrastructure: Infrastructure,
    own_topics: Topics,
    mongo_db: AsyncDatabase[Any],
) -> None:
    catalogue = copy.deepcopy(read_catalogue())
    histories = digitisation(
        generate_histories(SEED, 160, date(2024, 10, 1), date(2025, 4, 15), catalogue, calendar=CALENDAR)
    )
    q1_submitted = [h for h in histories if in_q1(h[0].occurred_at)]
    late = q1_submitted[:: max(1, len(q1_submitted) // LATE)][:LATE]
    early = [h for h in histories if h not in late]
    kafka = infrastructure.kafka_bootstrap_servers
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    early_events = [e for h in early for e in h]
    await publish_records(kafka, own_topics, catalogue_events(catalogue, occurred_at=oracle_start()), early_events)
    async with running_reporting(settings) as client:
        counts = {"agencies": len(catalogue["agencies"]), "procedures": len(catalogue["procedures"])}
        await folded(mongo_db, dossier_events=len(early_events), **counts)
        await check_scorecards(client, Oracle(catalogue, early, CALENDAR))

        # Only officials publish; bad periods are refused.
        q1 = {"from": "2025-01-01", "to": "2025-03-31"}
        officer = token(Role.OFFICER, agency="UBND-PL")
        refused = await client.post("/v1/reports/published", json=q1, headers=officer)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_role"
        bad = await client.post(
            "/v1/reports/published", json={"from": "2025-04-01", "to": "2025-03-31"}, headers=OFFICIAL
        )
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_period"

        before = datetime.now(UTC)
        published = await client.post("/v1/reports/published", json=q1, headers=OFFICIAL)
        assert published.status_code == 201, published.text
        frozen = published.content
        report = json.loads(frozen)
        summary = (await client.get("/v1/reports/summary", params=q1, headers=OFFICIAL)).json()
        assert report["summary"] == summary and report["published_by"] == "test-official"
        assert report["resolution"]["total"]["to_resolve"] > 0 and report["scorecard"]["groups"]
        assert set(report["offsets"]["dossier.events"]) == {"0", "1", "2"}
        assert sum(report["offsets"]["dossier.events"].values()) == len(early_events)
        nothing = (await client.get(f"/v1/reports/published/{report['id']}/diff", headers=OFFICIAL)).json()
        assert nothing["changes"] == [] and nothing["late_events"]["in_period"] == 0

        # More Q1 events arrive: the live report changes, the published one does not.
        late_events = [e for h in late for e in h]
        await publish_records(kafka, own_topics, [], late_events)
        await folded(mongo_db, dossier_events=len(early_events) + len(late_events), **counts)
        live = (await client.get("/v1/reports/summary", params=q1, headers=OFFICIAL)).json()
        assert live["received"]["total"] == summary["received"]["total"] + len(late)
        again = await client.get(f"/v1/reports/published/{report['id']}", headers=OFFICIAL)
        assert again.status_code == 200 and again.content == frozen
        assert again.headers["content-type"] == "application/json"

        diff = (await client.get(f"/v1/reports/published/{report['id']}/diff", headers=OFFICIAL)).json()
        changed = {c["path"]: (c["published"], c["live"]) for c in diff["changes"]}
        assert changed["summary.received.total"] == (summary["received"]["total"], live["received"]["total"])
        assert changed["resolution.total.to_resolve"][1] - changed["resolution.total.to_resolve"][0] == len(late)
        assert diff["count"] == len(diff["changes"])
        in_period = [e for e in late_events if in_q1(e.occurred_at)]
        assert diff["late_events"]["in_period"] == len(in_period) > 0
        assert diff["late_events"]["before_period"] == 0
        assert sum(diff["late_events"]["by_type"].values()) == len(in_period)
        assert diff["late_events"]["by_type"]["dossier.submitted"] == len(late)
        assert str(len(in_period)) in diff["explanation_en"] and str(len(in_period)) in diff["explanation_vi"]

        # The live scorecard still equals the recount, over every history now.
        await check_scorecards(client, Oracle(catalogue, histories, CALENDAR))

        # A rebuild from offset zero folds every event again: the published report is untouched, and
        # the late events are still told by their positions, not by when they were folded.
        await rebuild(settings, catch_up_pause=0.5)
        await folded(mongo_db, dossier_events=len(early_events) + len(late_events), **counts)
        after = await client.get(f"/v1/reports/published/{report['id']}", headers=OFFICIAL)
        assert after.content == frozen
        rebuilt = (await client.get(f"/v1/reports/published/{report['id']}/diff", headers=OFFICIAL)).json()
        assert (rebuilt["changes"], rebuilt["late_events"]) == (diff["changes"], diff["late_events"])

        # The list, as of a time, and who may read.
        listed = (await client.get("/v1/reports/published", headers=OFFICIAL)).json()
        assert [r["id"] for r in listed["data"]] == [report["id"]]
        earlier = (
            await client.get(
                "/v1/reports/published", params={"as_of": (before - timedelta(seconds=1)).isoformat()}, headers=OFFICIAL
            )
        ).json()
        assert earlier == {"data": [], "count": 0}
        assert (await client.get(f"/v1/reports/published/{report['id']}", headers=officer)).status_code == 403
        assert (await client.get("/v1/reports/published", headers=officer)).json()["count"] == 0
        own = await client.post("/v1/reports/published", json={**q1, "agency_code": "UBND-PL"}, headers=OFFICIAL)
        assert own.status_code == 201
        readable = await client.get(f"/v1/reports/published/{own.json()['id']}", headers=officer)
        assert readable.status_code == 200 and readable.content == own.content
        missing = await client.get("/v1/reports/published/no-such-report", headers=OFFICIAL)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_a_report_published_before_anything_was_folded(
    infrastructure: Infrastructure,
    mongo_db: AsyncDatabase[Any],
) -> None:
    settings = reporting_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, Topics("unused.")
    )
    async with running_reporting(settings, consume=False) as client:
        card = (await client.get("/v1/reports/scorecard", params=period(*Q1), headers=OFFICIAL)).json()
        assert (card["total_points"], card["max_points"]) == (0.0, 0)
        assert not any(i["assessed"] for g in card["groups"] for i in g["indicators"])
        published = await client.post("/v1/reports/published", json=period(*Q1), headers=OFFICIAL)
        assert published.status_code == 201 and published.json()["offsets"] == {"dossier.events": {}}
        diff = await client.get(f"/v1/reports/published/{published.json()['id']}/diff", headers=OFFICIAL)
        assert diff.status_code == 200 and diff.json()["changes"] == [] and diff.json()["late_events"]["in_period"] == 0
