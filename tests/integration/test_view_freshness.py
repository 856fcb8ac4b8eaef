"""Views folded from dossier.events while their consumers are behind (issue item 3: an import, a
backlog), through intake's and processing's HTTP APIs against the real broker and store: an
applicant's action is never refused only because intake's view is behind, tracking and processing's
dossier answer say how current they are (`as_of`), processing does not answer 404 for a dossier
intake has just accepted, and `/ready` is degraded while the lag is beyond its bound.

The consumer is held back by a backlog: many other dossiers' events published on the same partition
just before the events that matter, which the consumer folds one by one, in order."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.freshness import partition_for
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    eventually,
    idem,
    intake_settings,
    running_intake,
    seed_catalogue,
    token,
)
from test_processing_support import (
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics, 3 partitions each)
    processing_settings,
    running_processing,
)
from test_processing_support import token as processing_token

PHONE = "0912345678"
PARTITIONS = [0, 1, 2]
BACKLOG = 400  # events the consumer must fold before the ones that matter (seconds of work)


def now() -> datetime:
    return ev.now()


async def publish(bootstrap: str, topic: str, events: list[ev.DossierEvent]) -> None:
    """Publish `events` keyed by dossier id, in order, as another producer (processing, an import) would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all")
    await producer.start()
    try:
        sent = [await producer.send(topic, event.to_bytes(), key=event.dossier_id.encode()) for event in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def backlog(count: int, *, partition: int | None) -> list[ev.DossierEvent]:
    """`count` other dossiers' submissions, all on `partition` (spread over every partition when None)."""
    agency = f"BK{uuid.uuid4().hex[:6].upper()}"
    events: list[ev.DossierEvent] = []
    while len(events) < count:
        dossier_id = str(uuid.uuid4())
        if partition is not None and partition_for(dossier_id, PARTITIONS) != partition:
            continue
        events.append(
            ev.DossierSubmitted(
                occurred_at=now(),
                source="legacy-import",
                dossier_id=dossier_id,
                data=ev.SubmittedData(
                    dossier_code=f"{agency}-240102-{len(events):04d}",
                    procedure_code=f"{agency}.1",
                    agency_code=agency,
                    channel=ev.Channel.DIRECT,
                    applicant=ev.Applicant(full_name="Lê Văn Cũ", phone="0900000000"),
                ),
            )
        )
    return events


async def counter_dossier(intake: httpx.AsyncClient) -> dict[str, Any]:
    """A dossier received at the counter (intake's view has it `accepted` at once)."""
    agency = f"F{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    response = await intake.post(
        "/v1/dossiers",
        headers=idem(token(Role.OFFICER, agency=agency)),
        json=dossier_body(f"{agency}.1", agency, "direct", phone=PHONE),
    )
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def ready_status(client: httpx.AsyncClient) -> str:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def supplement_requested(dossier_id: str, at: datetime) -> ev.DossierSupplementRequested:
    return ev.DossierSupplementRequested(
        occurred_at=at,
        source="processing-service",
        dossier_id=dossier_id,
        data=ev.SupplementRequestedData(reason="Thiếu bản sao CCCD"),
    )


async def caught_up(intake: httpx.AsyncClient) -> None:
    """Wait until intake's consumers folded everything so far (its /ready says so with a bound of 0)."""
    assert await eventually(lambda: _is_ready(intake), wait=60), "intake's consumers did not catch up"


async def _is_ready(client: httpx.AsyncClient) -> bool:
    return await ready_status(client) == "ready"


async def test_a_supplement_is_taken_though_intakes_view_had_not_yet_folded_the_request(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics, view_wait_seconds=120
    )
    async with running_intake(settings, **calendar_options()) as intake:
        receipt = await counter_dossier(intake)
        dossier_id, code = receipt["dossier_id"], receipt["dossier_code"]
        requested = supplement_requested(dossier_id, now() - timedelta(days=1))
        await publish(
            infrastructure.kafka_bootstrap_servers,
            topics.dossier_events,
            [*backlog(BACKLOG, partition=partition_for(dossier_id, PARTITIONS)), requested],
        )

        # Processing asked for papers; intake's consumer is still folding the backlog before it.
        supplied = await intake.post(
            f"/v1/dossiers/{code}/supplements",
            headers=idem(token(Role.APPLICANT)),
            json={"phone": PHONE, "documents": [{"name": "Bản sao CCCD.pdf"}]},
        )
        assert supplied.status_code == 201, supplied.text
        assert supplied.json()["status"] == "in_progress"
        assert datetime.fromisoformat(supplied.json()["appointment_at"]) > datetime.fromisoformat(
            receipt["appointment_at"]
        )


async def test_tracking_answers_the_current_status_and_says_how_current_it_is(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics, view_wait_seconds=120
    )
    async with running_intake(settings, **calendar_options()) as intake:
        receipt = await counter_dossier(intake)
        dossier_id, code = receipt["dossier_id"], receipt["dossier_code"]
        first = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
        assert first.status_code == 200, first.text

        requested = supplement_requested(dossier_id, now().replace(microsecond=0) - timedelta(hours=1))
        await publish(
            infrastructure.kafka_bootstrap_servers,
            topics.dossier_events,
            [*backlog(BACKLOG, partition=partition_for(dossier_id, PARTITIONS)), requested],
        )
        tracked = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
        assert tracked.status_code == 200, tracked.text
        assert tracked.json()["status"] == "supplement_requested"  # not the `accepted` of a view behind
        as_of = tracked.json()["as_of"]
        assert as_of["consumer_lag"] == 0
        assert datetime.fromisoformat(as_of["last_event_at"]) == requested.occurred_at
        # Before: accepted at the counter when received.
        assert datetime.fromisoformat(first.json()["as_of"]["last_event_at"]) == datetime.fromisoformat(
            receipt["received_at"]
        )


async def test_with_a_tiny_bound_a_view_behind_is_503_view_behind_never_409_or_404(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        view_wait_seconds=0.05,
    )
    async with running_intake(settings, **calendar_options()) as intake:
        receipt = await counter_dossier(intake)
        dossier_id, code = receipt["dossier_id"], receipt["dossier_code"]
        await publish(
            infrastructure.kafka_bootstrap_servers,
            topics.dossier_events,
            # Ten times the backlog: intake folds in batches, and the three requests below must all meet it behind.
            [*backlog(10 * BACKLOG, partition=None), supplement_requested(dossier_id, now())],
        )

        key = str(uuid.uuid4())
        body = {"phone": PHONE, "documents": [{"name": "Bản sao CCCD.pdf"}]}
        applicant = token(Role.APPLICANT)
        refused = await intake.post(f"/v1/dossiers/{code}/supplements", headers=idem(applicant, key), json=body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "view_behind"
        assert int(refused.headers["Retry-After"]) > 0
        # A code the view does not know yet: not 404 while the view is behind on some partition.
        unknown = await intake.get(f"/v1/track/{code[:-4]}9999", params={"phone": PHONE})
        assert unknown.status_code == 503 and unknown.json()["error"]["code"] == "view_behind", unknown.text
        page = await intake.get("/track", params={"code": f"{code[:-4]}9999", "phone": PHONE})
        assert page.status_code == 503 and "Hệ thống đang cập nhật" in page.text and page.headers["Retry-After"]

        async def supplied() -> httpx.Response | None:  # the applicant retries, with the same key
            r = await intake.post(f"/v1/dossiers/{code}/supplements", headers=idem(applicant, key), json=body)
            assert r.status_code in (201, 503), r.text
            return r if r.status_code == 201 else None

        assert await eventually(supplied, wait=120), "the supplement was still refused once intake caught up"


async def test_ready_is_degraded_while_the_lag_is_beyond_its_bound_and_ready_once_caught_up(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics, ready_max_lag=0
    )
    async with running_intake(settings, **calendar_options()) as intake:
        await counter_dossier(intake)
        await caught_up(intake)
        assert (await intake.get("/ready")).json() == {"status": "ready", "checks": {"kafka": "ok", "store": "ok"}}

        await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, backlog(BACKLOG, partition=None))
        ready = await intake.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["kafka"] == "ok" and ready.json()["checks"]["store"] == "ok"
        lag = ready.json()["checks"]["consumer_lag"]
        assert lag.startswith("degraded: ") and "more than 0 (MOTCUA_INTAKE_READY_MAX_LAG)" in lag, lag
        await caught_up(intake)


async def test_processing_answers_a_counter_dossier_intake_has_just_accepted_though_its_consumer_is_behind(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    i_settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    p_settings = processing_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        f"{mongo_db.name}_p",
        topics,
        view_wait_seconds=120,
        ready_max_lag=0,
    )
    try:
        async with (
            running_intake(i_settings, **calendar_options()) as intake,
            running_processing(p_settings) as (_, processing),
        ):
            first = await counter_dossier(intake)
            officer = processing_token(Role.OFFICER, agency=first["agency_code"])
            # Ten times the backlog: processing folds in batches and had caught up on BACKLOG alone before
            # /ready was asked, once in a clean-clone CI.
            await publish(
                infrastructure.kafka_bootstrap_servers, topics.dossier_events, backlog(10 * BACKLOG, partition=None)
            )
            behind = await ready_status(processing)

            response = await intake.post(
                "/v1/dossiers",
                headers=idem(token(Role.OFFICER, agency=first["agency_code"])),
                json=dossier_body(first["procedure_code"], first["agency_code"], "direct", phone=PHONE),
            )
            assert response.status_code == 201, response.text
            receipt = response.json()
            dossier = await processing.get(f"/v1/dossiers/{receipt['dossier_code']}", headers=officer)
            assert dossier.status_code == 200, dossier.text
            assert dossier.json()["status"] == "accepted"
            as_of = dossier.json()["as_of"]
            assert as_of["consumer_lag"] == 0
            assert datetime.fromisoformat(as_of["last_event_at"]) == datetime.fromisoformat(receipt["received_at"])
            assert behind == "degraded"  # bound 0, while the backlog was there
            assert await eventually(lambda: _is_ready(processing), wait=60)
    finally:
        await mongo_db.client.drop_database(f"{mongo_db.name}_p")
