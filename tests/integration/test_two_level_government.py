"""The two-level local government (issue 18 item 7): from 1 July 2025 district agencies were dissolved and
their work passed to communes or the province. `agency.superseded` on catalog.events says so; through the
services' APIs against the real broker and store:

- processing hands the dissolved agency's open dossiers over to the successor (one `dossier.transferred`
  each, once, whatever is replayed): the successor's officer sees them in the inbox and acts on them, the
  old agency's officer no longer can; a dossier of the old agency that arrives later goes over on the
  clock's next tick; one whose result is ready stays put but is the successor's to return;
- an admin records the dissolution through intake's API; intake then receives a new dossier for the old
  agency's procedure under the successor;
- reporting shows the old agency for a period ending before the date, the successor after it, and counts
  each dossier of a period across the date once, under the agency responsible at the period's end;
- over generated histories that cross the date (the sample catalogue's districts dissolved into a commune
  and a provincial department), the quarter before, the quarter after and the half-year across it equal a
  brute-force recount (test_reporting_oracle.py) of the histories as the period's end sees them.
"""

import asyncio
import json
import random
import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from motcua_reporting.adapters.read_models import active_read_models
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.catalogue import handover_event_id
from motcua_shared.topics import Topics
from motcua_stack import topics as topic_admin
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue, two_level
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from support.kafka_log import records_to_end
from test_intake_support import ADMIN, calendar_options, dossier_body, idem, intake_settings, running_intake
from test_intake_support import token as intake_token
from test_processing_support import (
    BusinessClock,
    agency_registered,
    catalogue_key,
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics)
    processing_settings,
    publish,
    read_records,
    running_processing,
    submitted,
)
from test_processing_support import catalogue as agency_with_procedure
from test_processing_support import token as processing_token
from test_reporting_oracle import Oracle
from test_reporting_random_histories import interleaved, publish_records
from test_reporting_support import (
    OFFICIAL,
    History,
    create_topics,
    folded,
    reporting_settings,
    running_reporting,
    vn,
)
from test_reporting_support import publish as publish_to_reporting

EFFECTIVE = date(2025, 7, 1)


def superseded(old: str, successor: str, at: datetime) -> ev.AgencySuperseded:
    return ev.AgencySuperseded(
        occurred_at=at,
        source="test-catalogue",
        data=ev.AgencySupersededData(
            agency_code=old,
            successor_code=successor,
            effective_date=EFFECTIVE,
            reason="Nghị quyết 202/2025/QH15: tổ chức chính quyền địa phương hai cấp",
        ),
    )


def agencies_and_procedure(district: str, commune: str, procedure: str, at: datetime) -> list[ev.Envelope]:
    """A district with a procedure of 10 working days, and the commune that will succeed it."""
    return [
        *agency_with_procedure(
            district,
            procedure,
            ev.ProcessingTime(value=Decimal(10), unit=ev.TimeUnit.WORKING_DAYS),
            at,
            level=ev.AdminLevel.DISTRICT,
            agency_name=f"UBND huyện {district}",
            procedure_name="Cấp giấy chứng nhận quyền sử dụng đất",
        ),
        agency_registered(commune, at, level=ev.AdminLevel.COMMUNE, name=f"UBND xã {commune}"),
    ]


def accepted(dossier_id: str, at: datetime, due: datetime) -> ev.DossierAccepted:
    return ev.DossierAccepted(
        occurred_at=at, source="test-import", dossier_id=dossier_id, data=ev.AcceptedData(due_at=due)
    )


async def test_open_dossiers_pass_to_the_successor_once(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    tag = uuid.uuid4().hex[:5].upper()
    district, commune, procedure = f"H{tag}", f"X{tag}", f"H{tag}.01"
    june = datetime(2025, 6, 10, 9, tzinfo=PROVINCE_TZ)
    ids = {name: str(uuid.uuid4()) for name in ("open", "ready", "late")}
    codes = {name: f"{district}-250610-{i:04d}" for i, name in enumerate(ids, start=1)}
    clock = BusinessClock(datetime(2025, 7, 2, 9, tzinfo=PROVINCE_TZ))
    settings = processing_settings(kafka, infrastructure.mongodb_url, f"{mongo_db.name}_p", topics)
    old_officer = processing_token(Role.OFFICER, agency=district, subject="officer-huyen")
    new_officer = processing_token(Role.OFFICER, agency=commune, subject="officer-xa")
    official = processing_token(Role.OFFICIAL)
    catalogue = agencies_and_procedure(district, commune, procedure, datetime(2025, 1, 2, 8, tzinfo=PROVINCE_TZ))
    await publish(kafka, topics.catalog_events, catalogue, key=catalogue_key)
    # An imported history: one dossier being handled at the district, one with its result ready.
    await publish(
        kafka,
        topics.dossier_events,
        [
            submitted(ids["open"], codes["open"], district, procedure, june, ev.Channel.DIRECT),
            accepted(ids["open"], june, datetime(2025, 6, 24, 17, tzinfo=PROVINCE_TZ)),
            submitted(ids["ready"], codes["ready"], district, procedure, june, ev.Channel.DIRECT),
            accepted(ids["ready"], june, datetime(2025, 6, 24, 17, tzinfo=PROVINCE_TZ)),
            ev.DossierResultReady(
                occurred_at=datetime(2025, 6, 20, 10, tzinfo=PROVINCE_TZ),
                source="test-import",
                dossier_id=ids["ready"],
                data=ev.ResultReadyData(),
            ),
        ],
        key=lambda e: e.dossier_id,
    )

    async with running_processing(settings, now=clock) as (app, processing):

        async def dossier(name: str) -> dict[str, Any] | None:
            r = await processing.get(f"/v1/dossiers/{codes[name]}", headers=official)
            return r.json() if r.status_code == 200 else None

        async def ready(name: str, status: str, agency: str) -> bool:
            found = await dossier(name)
            return found is not None and found["status"] == status and found["agency_code"] == agency

        assert await eventually(lambda: ready("ready", "result_ready", district), wait=60)
        assert await eventually(lambda: ready("open", "accepted", district))

        await publish(kafka, topics.catalog_events, [superseded(district, commune, clock())], key=catalogue_key)
        assert await eventually(lambda: ready("open", "accepted", commune)), await dossier("open")
        moved = await dossier("open")
        assert moved is not None
        transfer = [h for h in moved["history"] if h["event_type"] == "dossier.transferred"]
        assert len(transfer) == 1 and transfer[0]["data"]["to_agency_code"] == commune
        # The successor took it over when it opened on the effective date, not at midnight.
        assert datetime.fromisoformat(transfer[0]["when"]) == datetime(2025, 7, 1, 7, 30, tzinfo=PROVINCE_TZ)

        # The successor's inbox holds both (the ready one is not transferred: the lifecycle forbids it).
        inbox = await processing.get("/v1/inbox", headers=new_officer)
        assert inbox.status_code == 200, inbox.text
        assert {d["code"] for d in inbox.json()["data"]} == {codes["open"], codes["ready"]}
        old_inbox = await processing.get("/v1/inbox", headers=old_officer)
        assert old_inbox.status_code == 200 and old_inbox.json()["data"] == []

        # The district's officer may no longer act; the commune's may, on both.
        refused = await processing.post(
            f"/v1/dossiers/{codes['open']}/request-supplement",
            headers=idem(old_officer),
            json={"reason": "Thiếu sổ hộ khẩu"},
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden_agency"
        acted = await processing.post(
            f"/v1/dossiers/{codes['open']}/request-supplement",
            headers=idem(new_officer),
            json={"reason": "Thiếu sổ hộ khẩu"},
        )
        assert acted.status_code == 200, acted.text
        returned = await processing.post(
            f"/v1/dossiers/{codes['ready']}/return", headers=idem(new_officer), json={"delivery": "direct"}
        )
        assert returned.status_code == 200, returned.text

        # A dossier of the district that arrives after the supersession goes over on the clock's next tick.
        await publish(
            kafka,
            topics.dossier_events,
            [submitted(ids["late"], codes["late"], district, procedure, june, ev.Channel.ONLINE)],
            key=lambda e: e.dossier_id,
        )
        assert await eventually(lambda: ready("late", "submitted", district))
        await app.state.clock.tick()
        assert await ready("late", "submitted", commune)

        # Replays: the same event again, and a copy under a new id, hand nothing over a second time.
        replay = superseded(district, commune, clock())
        copy = replay.model_copy(update={"event_id": uuid.uuid4()})
        await publish(kafka, topics.catalog_events, [replay, replay, copy], key=catalogue_key)
        # Once processing has folded the replays (it commits after the work) and ticked, whatever they
        # would hand over again is on the topic.
        assert await topic_admin.wait_caught_up(kafka, [settings.consumer_group], [topics.catalog_events]) == 0
        await app.state.clock.tick()
        records = await records_to_end(kafka, topics.dossier_events)
        transfers = [key for key, value in records if json.loads(value)["event_type"] == "dossier.transferred"]
        assert sorted(key for key in transfers if key) == sorted([ids["open"], ids["late"]])
        after = await dossier("open")
        assert after is not None and after["agency_code"] == commune and after["status"] == "supplement_requested"
        assert [h["event_type"] for h in after["history"]].count("dossier.transferred") == 1


async def test_intake_receives_for_the_old_agency_under_the_successor(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    tag = uuid.uuid4().hex[:5].upper()
    district, commune, procedure = f"H{tag}", f"X{tag}", f"H{tag}.01"
    settings = intake_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)
    async with running_intake(settings, **calendar_options()) as intake:
        for body in (
            {"agency_code": district, "name": "UBND huyện", "admin_level": "district"},
            {"agency_code": commune, "name": "UBND xã", "admin_level": "commune"},
        ):
            assert (await intake.post("/v1/agencies", headers=idem(ADMIN), json=body)).status_code == 201
        response = await intake.post(
            "/v1/procedures",
            headers=idem(ADMIN),
            json={
                "procedure_code": procedure,
                "name": "Thủ tục",
                "agency_code": district,
                "online_level": 4,
                "processing_time": {"value": 5, "unit": "working_days"},
            },
        )
        assert response.status_code == 201, response.text
        # An admin records the dissolution through intake's API (which publishes agency.superseded).
        path = f"/v1/agencies/{district}/supersession"
        same = await intake.post(
            path, headers=idem(ADMIN), json={"successor_code": district, "effective_date": "2025-07-01"}
        )
        assert same.status_code == 422 and same.json()["error"]["code"] == "same_agency", same.text
        unknown = await intake.post(
            path, headers=idem(ADMIN), json={"successor_code": "NO-SUCH", "effective_date": "2025-07-01"}
        )
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "agency_not_found", unknown.text
        recorded = await intake.post(
            path,
            headers=idem(ADMIN),
            json={"successor_code": commune, "effective_date": "2025-07-01", "reason": "Sáp nhập đơn vị hành chính"},
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json() == {
            "agency_code": district,
            "successor_code": commune,
            "effective_date": "2025-07-01",
            "reason": "Sáp nhập đơn vị hành chính",
        }
        back = await intake.post(
            f"/v1/agencies/{commune}/supersession",
            headers=idem(ADMIN),
            json={"successor_code": district, "effective_date": "2025-08-01"},
        )
        assert back.status_code == 422 and back.json()["error"]["code"] == "successor_dissolved", back.text
        events = await read_records(
            kafka,
            topics.catalog_events,
            match=lambda r: (
                r.key == district and isinstance(r.value, dict) and r.value.get("event_type") == "agency.superseded"
            ),
            until=lambda found: len(found) >= 1,
        )
        assert [r.value["data"]["successor_code"] for r in events] == [commune]

        async def handed_over() -> bool:
            r = await intake.get(f"/v1/procedures/{procedure}")
            return r.status_code == 200 and r.json()["agency_code"] == commune

        assert await eventually(handed_over, wait=30)
        listed = await intake.get("/v1/procedures", params={"agency_code": commune})
        assert [p["procedure_code"] for p in listed.json()["data"]] == [procedure]
        assert listed.json()["data"][0]["admin_level"] == "commune"
        receipt = await intake.post(
            "/v1/dossiers", headers=idem(intake_token(Role.APPLICANT)), json=dossier_body(procedure, district, "online")
        )
        assert receipt.status_code == 201, receipt.text
        assert receipt.json()["agency_code"] == commune
        assert receipt.json()["dossier_code"].startswith(f"{commune}-")
        # The dissolved district's counter receives nothing any more; the commune's does.
        body = dossier_body(procedure, district, "direct")
        closed = await intake.post("/v1/dossiers", headers=idem(intake_token(Role.OFFICER, agency=district)), json=body)
        assert closed.status_code == 403 and closed.json()["error"]["code"] == "forbidden_agency", closed.text
        counter = await intake.post("/v1/dossiers", headers=idem(intake_token(Role.OFFICER, agency=commune)), json=body)
        assert counter.status_code == 201 and counter.json()["agency_code"] == commune, counter.text


async def test_reports_show_the_agency_responsible_at_the_period_end(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    topics = await create_topics(kafka, run_id)
    district, commune, procedure = "UBND-HT", "UBND-HT-HV", "2.002000"
    catalogue = agencies_and_procedure(district, commune, procedure, vn(2019, 1, 1))
    h1 = History("T1", district, procedure, "direct", vn(2025, 5, 5))  # resolved in Q2
    h1.accepted(vn(2025, 5, 5, 9, 5), vn(2025, 5, 19, 17)).result(vn(2025, 5, 15)).returned(vn(2025, 5, 16))
    h2 = History("T2", district, procedure, "online", vn(2025, 6, 10))  # open across the date
    h2.accepted(vn(2025, 6, 11), vn(2025, 6, 25, 17)).transferred(vn(2025, 7, 1, 7, 30), commune)
    h2.result(vn(2025, 7, 15)).returned(vn(2025, 7, 16))
    h3 = History("T3", commune, procedure, "direct", vn(2025, 8, 4))  # received by the successor
    h3.accepted(vn(2025, 8, 4, 9, 5), vn(2025, 8, 18, 17)).result(vn(2025, 8, 14)).returned(vn(2025, 8, 15))
    dissolved = superseded(district, commune, vn(2025, 6, 15))
    events = [*catalogue, dissolved, *h1.events, *h2.events, *h3.events, dissolved]  # one replayed
    await publish_to_reporting(kafka, topics, events)
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)
    async with running_reporting(settings) as client:
        await folded(mongo_db, dossier_events=sum(len(h.events) for h in (h1, h2, h3)), agencies=2, procedures=1)

        async def summary(start: str, end: str, **params: str) -> dict[str, Any]:
            for _ in range(50):  # the supersession is folded apart from the dossiers
                r = await client.get(
                    "/v1/reports/summary", params={"from": start, "to": end, **params}, headers=OFFICIAL
                )
                assert r.status_code == 200, r.text
                if end < "2025-07-01" or all(a["agency_code"] != district for a in r.json()["by_agency"]):
                    return dict(r.json())
                await asyncio.sleep(0.2)
            return dict(r.json())

        async def table(start: str, end: str) -> dict[str, dict[str, Any]]:
            r = await client.get("/v1/reports/agencies", params={"from": start, "to": end}, headers=OFFICIAL)
            assert r.status_code == 200, r.text
            return {row["agency_code"]: row for row in r.json()["data"]}

        q2 = await summary("2025-04-01", "2025-06-30")
        assert q2["by_agency"] == [{"agency_code": district, "agency_name": f"UBND huyện {district}", "received": 2}]
        assert (q2["received"]["total"], q2["resolved"]["total"], q2["in_progress"]["total"]) == (2, 1, 1)
        assert (await summary("2025-04-01", "2025-06-30", admin_level="district"))["received"]["total"] == 2
        assert (await summary("2025-04-01", "2025-06-30", admin_level="commune"))["received"]["total"] == 0
        q2_rows = await table("2025-04-01", "2025-06-30")
        assert q2_rows[district]["received"]["total"] == 2 and q2_rows[district]["in_progress"]["total"] == 1

        q3 = await summary("2025-07-01", "2025-09-30")
        assert q3["by_agency"] == [{"agency_code": commune, "agency_name": f"UBND xã {commune}", "received": 1}]
        assert (q3["received"]["total"], q3["carried_over"], q3["resolved"]["total"]) == (1, 1, 2)
        commune_q3 = await summary("2025-07-01", "2025-09-30", admin_level="commune")
        assert (commune_q3["carried_over"], commune_q3["resolved"]["total"]) == (1, 2)
        assert (await summary("2025-07-01", "2025-09-30", admin_level="district"))["resolved"]["total"] == 0
        q3_rows = await table("2025-07-01", "2025-09-30")
        assert district not in q3_rows and q3_rows[commune]["carried_over"] == 1

        # Across the date: each dossier once, under the agency responsible at the period's end.
        year = await summary("2025-01-01", "2025-12-31")
        assert year["by_agency"] == [{"agency_code": commune, "agency_name": f"UBND xã {commune}", "received": 3}]
        assert (year["received"]["total"], year["resolved"]["total"], year["in_progress"]["total"]) == (3, 3, 0)
        assert (await summary("2025-01-01", "2025-12-31", agency_code=commune))["received"]["total"] == 3
        assert (await summary("2025-01-01", "2025-12-31", admin_level="commune"))["resolved"]["total"] == 3
        year_rows = await table("2025-01-01", "2025-12-31")
        assert list(year_rows) == [commune] and year_rows[commune]["resolved"]["total"] == 3

        # The resolution table by agency applies the same rule, at the level of the agency then.
        async def resolution(start: str, end: str) -> dict[str, dict[str, Any]]:
            r = await client.get(
                "/v1/reports/resolution", params={"from": start, "to": end, "by": "agency"}, headers=OFFICIAL
            )
            assert r.status_code == 200, r.text
            return {
                f"{level['admin_level']}/{row['code']}": row for level in r.json()["levels"] for row in level["rows"]
            }

        by_agency_q2 = await resolution("2025-04-01", "2025-06-30")
        assert by_agency_q2[f"district/{district}"]["to_resolve"] == 2
        by_agency_year = await resolution("2025-01-01", "2025-12-31")
        assert f"district/{district}" not in by_agency_year
        assert (
            by_agency_year[f"commune/{commune}"]["to_resolve"],
            by_agency_year[f"commune/{commune}"]["resolved"],
        ) == (3, 3)


def as_seen_at(
    catalogue: dict[str, Any], histories: list[list[ev.DossierEvent]], end: date
) -> tuple[dict[str, Any], list[list[ev.DossierEvent]]]:
    """The recount's reading of the rule, by brute force: the catalogue and histories with every agency
    dissolved by `end` replaced by its successor (its procedures at the successor's level)."""
    successors = {
        s["agency_code"]: s["successor_code"]
        for s in catalogue["supersessions"]
        if date.fromisoformat(s["effective_date"]) <= end
    }

    def now_of(code: str) -> str:
        while code in successors:
            code = successors[code]
        return code

    levels = {a["agency_code"]: a["admin_level"] for a in catalogue["agencies"]}
    procedures = [
        p
        if now_of(p["agency_code"]) == p["agency_code"]
        else {**p, "agency_code": now_of(p["agency_code"]), "admin_level": levels[now_of(p["agency_code"])]}
        for p in catalogue["procedures"]
    ]

    def moved(event: ev.DossierEvent) -> ev.DossierEvent:
        if isinstance(event.data, ev.SubmittedData):
            data: Any = event.data.model_copy(update={"agency_code": now_of(event.data.agency_code)})
        elif isinstance(event.data, ev.TransferredData):
            data = event.data.model_copy(update={"to_agency_code": now_of(event.data.to_agency_code)})
        else:
            return event
        return event.model_copy(update={"data": data})

    return {**catalogue, "procedures": procedures}, [[moved(e) for e in h] for h in histories]


async def answer(client: Any, params: dict[str, str], path: str) -> Any:
    r = await client.get(path, params=params, headers=OFFICIAL)
    assert r.status_code == 200, r.text
    return r.json()


async def test_generated_histories_across_the_date_equal_a_recount(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> None:
    kafka = infrastructure.kafka_bootstrap_servers
    topics = await create_topics(kafka, run_id)
    calendar = load_calendar()
    catalogue = two_level(read_catalogue())
    histories = generate_histories(1, 200, date(2025, 3, 1), date(2025, 10, 1), catalogue, calendar=calendar)
    handed = {
        e.data.to_agency_code
        for h in histories
        for e in h
        if e.event_id == handover_event_id(e.dossier_id, h[0].data.agency_code)
    }  # type: ignore[attr-defined]
    assert handed == {"UBND-HT-HV", "SXD"}, "the seed leaves dossiers of both districts open on 1 July 2025"
    seed_events = catalogue_events(catalogue, occurred_at=datetime(2025, 1, 1, tzinfo=PROVINCE_TZ))
    await publish_records(kafka, topics, seed_events, interleaved(histories, random.Random(7)))
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)
    async with running_reporting(settings) as client:
        await folded(
            mongo_db,
            dossier_events=sum(len(h) for h in histories),
            agencies=len(catalogue["agencies"]),
            procedures=len(catalogue["procedures"]),
        )

        async def supersessions_folded() -> bool:
            models = await active_read_models(mongo_db)
            return await models.agency_successions.count_documents({"successor_code": {"$exists": True}}) == 2

        assert await eventually(supersessions_folded)
        periods = [
            (date(2025, 4, 1), date(2025, 6, 30)),
            (date(2025, 7, 1), date(2025, 9, 30)),
            (date(2025, 4, 1), date(2025, 9, 30)),
        ]
        scopes = [
            (None, None),
            (None, "district"),
            (None, "commune"),
            ("UBND-HT", None),
            ("UBND-HT-HV", None),
            ("SXD", None),
            (None, "provincial"),
        ]
        for first, last in periods:
            oracle = Oracle(*as_seen_at(catalogue, histories, last), calendar)
            for agency, level in scopes:
                params = {
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    **({"agency_code": agency} if agency else {}),
                    **({"admin_level": level} if level else {}),
                }
                get = partial(answer, client, params)
                assert await get("/v1/reports/summary") == oracle.summary(first, last, agency, level), params
                rows = {row["agency_code"]: row for row in (await get("/v1/reports/agencies"))["data"]}
                expected = oracle.agency_rows(first, last, agency, level)
                assert set(expected) <= set(rows), params
                for code, row in rows.items():  # every figure the recount has (a column it lacks aside)
                    want = expected.get(code, oracle.zero_row(code))
                    assert {k: row[k] for k in want} == want, (params, code)
                assert await get("/v1/reports/online-services") == oracle.online(first, last, agency, level), params
                assert await get("/v1/reports/trend") == oracle.trend(first, last, agency, level), params
        # Before the date the districts report as they were; after it they are gone.
        q2 = (
            await client.get(
                "/v1/reports/agencies", params={"from": "2025-04-01", "to": "2025-06-30"}, headers=OFFICIAL
            )
        ).json()
        assert {"UBND-HT", "UBND-PL"} <= {row["agency_code"] for row in q2["data"] if row["received"]["total"]}
        q3 = (
            await client.get(
                "/v1/reports/agencies", params={"from": "2025-07-01", "to": "2025-09-30"}, headers=OFFICIAL
            )
        ).json()
        assert not {"UBND-HT", "UBND-PL"} & {row["agency_code"] for row in q3["data"]}
