"""Fault: poison records in the middle of each consumed topic. All four services run as real processes
on the real broker and store; on `dossier.events` and `catalog.events` (one partition, in this order)
come a good event, bad UTF-8/JSON, hostile JSON (operator injection; nesting deeper than any parser's
stack), a valid event of a type that does not belong on the topic, and another good event.

Each poison lands in `<topic>.dlq` once per consumer group that reads the topic (intake, processing,
notification, reporting), with the reason in `dlq-reason`; every group goes past it, and what came
after it is processed by every service. (`notification.events` has no consumer: nothing to test.)"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.consuming import DLQ_CONSUMER, DLQ_REASON, DLQ_SOURCE
from motcua_stack import services
from motcua_stack import topics as topic_admin
from support.deployment import Deployment, catalogue_events, header, publish_history
from support.ground_truth import caught_up, live_period, procedures
from support.infrastructure import Infrastructure
from support.receivers import SMS_PATH, http_receiver, notification_env, smtp_sink

pytestmark = pytest.mark.slow  # each a minute or more: deselect with -m 'not slow'

AGENCY = f"FAULT{uuid.uuid4().hex[:4].upper()}"
PROCEDURE = f"{AGENCY}.1"


def poisons(wrong_type: ev.Envelope) -> list[bytes]:
    injection = (
        b'{"event_id": {"$gt": ""}, "event_type": "dossier.submitted", "schema_version": 1, '
        b'"dossier_id": {"$ne": null}, "data": {"$where": "sleep(100000)", "dossier_code": {"$gt": ""}}}'
    )
    return [b"\xff\xfe{not json", injection, b"[" * 200_000 + b"]" * 200_000, wrong_type.to_bytes()]


def submitted(code_suffix: str, procedure: dict[str, object], phone: str) -> ev.DossierSubmitted:
    agency = str(procedure["agency_code"])
    return ev.DossierSubmitted(
        occurred_at=datetime.now(UTC),
        source="poison-test",
        dossier_id=str(uuid.uuid4()),
        data=ev.SubmittedData(
            dossier_code=f"{agency}-{datetime.now(UTC):%y%m%d}-{code_suffix}",
            procedure_code=str(procedure["procedure_code"]),
            agency_code=agency,
            channel=ev.Channel.DIRECT,
            applicant=ev.Applicant(full_name="Trần Văn Độc", phone=phone),
        ),
    )


async def send_in_order(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """All on partition 0, in this order: the poison sits between the good events."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, max_request_size=4 * 1024 * 1024
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"poison-test", partition=0)
    finally:
        await producer.stop()


async def dead_letters(bootstrap: str, topic: str, expect: int) -> list[tuple[bytes, dict[str, str]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, str]]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                found += [(r.value, {k: v.decode() for k, v in r.headers}) for r in records]
            if len(found) >= expect:
                await asyncio.sleep(2)  # and nothing more comes
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [(r.value, {k: v.decode() for k, v in r.headers}) for r in records]
                break
    finally:
        await consumer.stop()
    return found


@pytest.fixture
async def deployment(infrastructure: Infrastructure, tmp_path: Path) -> AsyncIterator[tuple[Deployment, object]]:
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            deployment = Deployment(
                "poison",
                {"intake": 1, "processing": 1, "notification": 1, "reporting": 1},
                tmp_path,
                infrastructure,
                topic_family="faults",
                extra_env=notification_env(smtp, gateway),
            )
            await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, deployment.topics, 3)
            try:
                await asyncio.to_thread(deployment.start)
                await publish_history(deployment, catalogue_events(), [])
                yield deployment, gateway
            finally:
                deployment.stop()
                deployment.drop_databases()


async def test_a_poison_record_is_dead_lettered_by_every_consumer_and_what_follows_is_processed(
    deployment: tuple[Deployment, object], infrastructure: Infrastructure
) -> None:
    stack, gateway = deployment
    bootstrap = infrastructure.kafka_bootstrap_servers
    topics = stack.topics
    sample = (await procedures(stack))[0]
    now = datetime.now(UTC)
    first, second = submitted("9001", sample, "0988000001"), submitted("9002", sample, "0988000002")
    agency = ev.AgencyRegistered(
        occurred_at=now,
        source="poison-test",
        data=ev.AgencyRegisteredData(
            agency_code=AGENCY, name="Trung tâm thử lỗi", admin_level=ev.AdminLevel.PROVINCIAL
        ),
    )
    procedure = ev.ProcedurePublished(
        occurred_at=now,
        source="poison-test",
        data=ev.ProcedurePublishedData(
            procedure_code=PROCEDURE,
            name="Thủ tục sau bản tin độc",
            agency_code=AGENCY,
            admin_level=ev.AdminLevel.PROVINCIAL,
            online_level=4,
            processing_time=ev.ProcessingTime(value=5, unit=ev.TimeUnit.WORKING_DAYS),
        ),
    )
    bad = {topics.dossier_events: poisons(wrong_type=procedure), topics.catalog_events: poisons(wrong_type=first)}
    await send_in_order(
        bootstrap, topics.dossier_events, [first.to_bytes(), *bad[topics.dossier_events], second.to_bytes()]
    )
    await send_in_order(
        bootstrap, topics.catalog_events, [agency.to_bytes(), *bad[topics.catalog_events], procedure.to_bytes()]
    )
    # Every group committed past the poison to the end of both topics: the good event after it was handled.
    await caught_up(stack, patience=120)

    groups = stack.groups
    assert len(groups) == 4
    for topic, values in bad.items():
        found = await dead_letters(bootstrap, f"{topic}.dlq", expect=len(groups) * len(values))
        by_pair = Counter(
            (headers.get(DLQ_CONSUMER), values.index(value) if value in values else -1) for value, headers in found
        )
        assert by_pair == Counter({(g, i): 1 for g in groups for i in range(len(values))}), (topic, by_pair)
        for _, headers in found:
            assert headers.get(DLQ_REASON), f"{topic}.dlq: a record without its reason"
            assert headers.get(DLQ_SOURCE, "").startswith(f"{topic}/0/")
        reasons = {values.index(v): h[DLQ_REASON] for v, h in found}
        print(topic, reasons)
        assert "event_type" in reasons[3] or "unknown event type" in reasons[3]

    official = header(Role.OFFICIAL)
    async with httpx.AsyncClient(timeout=30.0) as client:
        # dossier.events: the dossier after the poison is known to every service.
        for event in (first, second):
            code, phone = event.data.dossier_code, event.data.applicant.phone
            known = await client.get(f"{stack.url(services.PROCESSING)}/v1/dossiers/{code}", headers=official)
            assert known.status_code == 200, known.text
            tracked = await client.get(f"{stack.url(services.INTAKE)}/v1/track/{code}", params={"phone": phone})
            assert tracked.status_code == 200, tracked.text
            told = await client.get(
                f"{stack.url(services.NOTIFICATION)}/v1/notifications", params={"dossier_code": code}, headers=official
            )
            assert told.status_code == 200 and told.json()["count"] > 0, told.text
        # catalog.events: the procedure published after the poison is open for dossiers at intake and
        # processing can compute its due time (it knows the processing time).
        listed = await client.get(f"{stack.url(services.INTAKE)}/v1/procedures/{PROCEDURE}")
        assert listed.status_code == 200, listed.text
        applicant = header(Role.APPLICANT)
        online = await client.post(
            f"{stack.url(services.INTAKE)}/v1/dossiers",
            headers={**applicant, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "procedure_code": PROCEDURE,
                "agency_code": AGENCY,
                "channel": "online",
                "applicant": {"full_name": "Lê Thị Sau", "phone": "0988000003"},
            },
        )
        assert online.status_code == 201, online.text
        code = online.json()["dossier_code"]
        officer = header(Role.OFFICER, agency=AGENCY)
        for _ in range(120):
            accepted = await client.post(
                f"{stack.url(services.PROCESSING)}/v1/dossiers/{code}/accept", headers=officer, json={}
            )
            if accepted.status_code != 404:
                break
            await asyncio.sleep(0.5)
        assert accepted.status_code == 200, accepted.text
        await caught_up(stack, patience=60)
        # Reporting folded both dossiers after the poison and the new agency (its name from the catalogue).
        summary = await client.get(
            f"{stack.url(services.REPORTING)}/v1/reports/summary", params=live_period(), headers=official
        )
        assert summary.status_code == 200, summary.text
        rows = {row["agency_code"]: row for row in summary.json()["by_agency"]}
        assert summary.json()["received"]["total"] == 3
        assert rows[AGENCY]["agency_name"] == "Trung tâm thử lỗi" and rows[AGENCY]["received"] == 1
    # Notification sent the applicants after the poison their messages.
    assert {r.json()["to"] for r in gateway.at(SMS_PATH)} >= {"0988000001", "0988000002"}  # type: ignore[attr-defined]
