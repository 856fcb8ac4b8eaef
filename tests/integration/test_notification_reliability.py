"""Reliability of notification against the real broker and store, a real SMTP server and a real HTTP
SMS gateway: once per (event, recipient, channel) however often events arrive or the service
restarts; retries with backoff visible in the history; nothing for old events; no crash without SMTP."""

import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    dead_letters,
    eventually,
    free_port,
    http_receiver,
    in_days,
    notification_settings,
    own_topics,
    publish,
    running_notification,
    smtp_sink,
    token,
)

topics = own_topics
SMS_PATH = "/sms"


async def test_redelivered_events_and_a_restart_mid_stream_send_nothing_twice(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossiers = [Dossier(email=f"applicant{i}@example.vn", phone=f"09120000{i:02d}") for i in range(4)]
    first_half = [e for d in dossiers for e in (d.submitted(), d.accepted(in_days(10)))]
    second_half = [
        e for d in dossiers for e in (d.supplement_requested("Thiếu giấy tờ", ["Bản sao CCCD"]), d.result_ready())
    ]
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url(SMS_PATH)
            )
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, first_half)
            async with running_notification(settings):
                # Stop while the first events are being sent (mid-stream), then carry on with a new instance.
                await eventually(lambda: len(smtp.inbox) >= 2)
            await publish(
                infrastructure.kafka_bootstrap_servers, topics.dossier_events, second_half + first_half[:3]
            )  # three events delivered a second time
            async with running_notification(settings):
                await eventually(lambda: len(smtp.inbox) >= 16 and len(gateway.at(SMS_PATH)) >= 16)
            # A new consumer group re-reads every event from the beginning: a full redelivery.
            again = settings.model_copy(update={"consumer_group": settings.consumer_group + "-again"})
            async with running_notification(again) as (app, _):
                deliveries = app.state.notifier.deliveries
                await eventually(lambda: _all_read(deliveries, [str(e.event_id) for e in second_half]))
                await asyncio.sleep(1.5)  # time enough for anything that would be sent twice

    emails = Counter((m["To"], m["Subject"]) for m in smtp.inbox)
    texts = Counter((r.json()["to"], r.json()["text"]) for r in gateway.at(SMS_PATH))
    assert len(emails) == 16 and set(emails.values()) == {1}, emails
    assert len(texts) == 16 and set(texts.values()) == {1}, texts
    for dossier in dossiers:
        subjects = {m["Subject"] for m in smtp.to(dossier.email or "")}
        assert f"Hồ sơ {dossier.code} đã có kết quả" in subjects  # Vietnamese by default


async def _all_read(deliveries: Any, event_ids: list[str]) -> bool:
    return all([await deliveries.all_for_event(i) for i in event_ids])


async def test_a_gateway_that_fails_twice_then_succeeds_gets_the_message_once_with_retries_in_history(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(phone="0912345678", language="en")
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url(SMS_PATH)
            )
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.submitted()])
            async with running_notification(settings) as (_, client):
                await eventually(lambda: len(gateway.at(SMS_PATH)) >= 1)
                gateway.script[SMS_PATH] = [503, 502]
                await publish(
                    infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.accepted(in_days(7))]
                )
                await eventually(lambda: len(gateway.at(SMS_PATH)) >= 2)
                await asyncio.sleep(1.0)  # a duplicate would arrive within this
                answer = await client.get(
                    "/v1/notifications",
                    params={"dossier_code": dossier.code},
                    headers=token(Role.OFFICER, agency=dossier.agency),
                )
            outcomes = await _outcomes(infrastructure, topics, count=4)

    calls = [(r.status, r.json()["text"]) for r in gateway.requests]
    accepted = [s for s, t in calls if t.startswith(f"Dossier {dossier.code} accepted. Result date: ")]
    assert accepted == [503, 502, 200], calls
    assert len(gateway.at(SMS_PATH)) == 2  # the receipt and the acceptance, each once

    assert answer.status_code == 200
    history = answer.json()["data"]
    assert [n["template"] for n in history] == ["applicant.received.sms", "applicant.accepted.sms"]
    retried = history[1]
    assert [a["outcome"] for a in retried["attempts"]] == ["failed", "failed", "sent"]
    assert "503" in retried["attempts"][0]["error"] and retried["attempts"][0]["permanent"] is False
    assert retried["status"] == "sent" and retried["language"] == "en"
    starts = [datetime.fromisoformat(a["started_at"]) for a in retried["attempts"]]
    assert starts[1] - starts[0] >= timedelta(seconds=0.2)  # backoff 0.2 s, then 0.4 s
    assert starts[2] - starts[1] >= timedelta(seconds=0.4)

    mine = [o for o in outcomes if o["data"]["notification_id"] == retried["notification_id"]]
    assert [(o["event_type"], o["data"]["attempt"]) for o in mine] == [
        ("notification.failed", 1),
        ("notification.failed", 2),
        ("notification.sent", 3),
    ]
    assert [o["data"].get("permanent") for o in mine] == [False, False, None]


async def _outcomes(infrastructure: Infrastructure, topics: Topics, *, count: int) -> list[dict[str, Any]]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topics.notification_events,
        bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while len(found) < count and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [json.loads(r.value) for r in records]
    finally:
        await consumer.stop()
    return sorted(found, key=lambda o: (o["data"]["notification_id"], o["data"]["attempt"]))


async def test_a_six_month_old_imported_event_sends_nothing(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(email="old@example.vn", phone="0987654321")
    long_ago = datetime.now(UTC) - timedelta(days=182)
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url(SMS_PATH)
            )
            history = [
                dossier.submitted(at=long_ago),
                dossier.accepted(long_ago + timedelta(days=15), at=long_ago),
                dossier.result_ready(at=long_ago + timedelta(days=10)),
            ]
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, history)
            async with running_notification(settings) as (app, client):
                deliveries = app.state.notifier.deliveries
                # The import was read (the applicant's contact is known) ...
                assert await eventually(lambda: app.state.notifier.directory.dossier(dossier.dossier_id))
                await asyncio.sleep(1.5)
                assert smtp.inbox == [] and gateway.requests == []
                for event in history:
                    assert await deliveries.all_for_event(str(event.event_id)) == []
                answer = await client.get(
                    "/v1/notifications", params={"dossier_code": dossier.code}, headers=token(Role.OFFICIAL)
                )
                assert answer.json() == {"data": [], "count": 0}
                # ... and a fresh event about the same dossier still reaches the applicant.
                await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.returned()])
                await eventually(lambda: len(smtp.inbox) >= 2 and gateway.requests)
    assert sorted(m["Subject"] for m in smtp.inbox) == sorted(
        [f"Đã trả kết quả hồ sơ {dossier.code}", f"Mời đánh giá mức độ hài lòng - hồ sơ {dossier.code}"]
    )


async def test_without_an_smtp_server_email_is_retried_then_recorded_failed_and_the_consumer_goes_on(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(email="nobody@example.vn", phone="0911111111")
    async with http_receiver() as gateway:
        settings = notification_settings(
            infrastructure, mongo_db.name, topics, smtp_port=free_port(), sms_url=gateway.url(SMS_PATH), max_attempts=3
        )
        await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.submitted()])
        async with running_notification(settings) as (app, client):
            deliveries = app.state.notifier.deliveries

            async def email_failed() -> bool:
                docs = await deliveries.history(dossier.code)
                return any(d["channel"] == "email" and d["status"] == "failed" for d in docs)

            assert await eventually(email_failed)
            # The consumer still works: the next event is handled and its SMS sent.
            await publish(
                infrastructure.kafka_bootstrap_servers,
                topics.dossier_events,
                [dossier.refused("Hồ sơ không thuộc thẩm quyền")],
            )
            assert await eventually(lambda: len(gateway.at(SMS_PATH)) >= 2)
            answer = await client.get(
                "/v1/notifications", params={"dossier_code": dossier.code}, headers=token(Role.ADMIN)
            )
    failed = next(n for n in answer.json()["data"] if n["template"] == "applicant.received.email")
    assert failed["status"] == "failed"
    assert [a["outcome"] for a in failed["attempts"]] == ["failed"] * 3
    assert all("SMTP server unreachable" in a["error"] for a in failed["attempts"])


async def test_a_malformed_event_goes_to_the_dead_letter_topic_and_the_next_one_is_notified(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    from motcua_shared.kafka import make_broker

    dossier = Dossier(email="after-bad@example.vn")
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    await broker.connect()
    try:
        bad = dossier.submitted().model_dump(mode="json")
        bad["data"]["channel"] = "carrier-pigeon"
        await broker.publish(json.dumps(bad).encode(), topic=topics.dossier_events, key=dossier.dossier_id.encode())
    finally:
        await broker.stop()
    await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, [dossier.submitted()])
    with smtp_sink() as smtp:
        settings = notification_settings(
            infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url="http://127.0.0.1:1/"
        )
        async with running_notification(settings):
            assert await eventually(lambda: smtp.inbox)
    assert [m["To"] for m in smtp.inbox] == ["after-bad@example.vn"]

    records = await dead_letters(infrastructure.kafka_bootstrap_servers, topics.dossier_events)
    assert len(records) == 1
    headers = {k: v.decode() for k, v in records[0].headers}
    assert headers["dlq-field"] == "data.channel" and headers["dlq-consumer"] == settings.consumer_group
