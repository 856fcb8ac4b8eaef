"""What happens after a crash, on the real store and broker with a real SMTP server: a send cut off
mid-way is marked unknown and never repeated (at most once); a claim whose holder died before sending
is released and the message goes out once; SMS in quiet hours wait for the morning."""

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer
from motcua_notification.adapters.deliveries import DeliveryStore
from motcua_notification.adapters.http_delivery import HttpSmsGateway, HttpWebhookSender
from motcua_notification.adapters.letters import LetterStore
from motcua_notification.adapters.publishing import KafkaOutcomePublisher
from motcua_notification.adapters.smtp import SmtpEmailSender
from motcua_notification.adapters.subscriptions import SubscriptionStore
from motcua_notification.domain.delivery import Delivery, Status
from motcua_notification.domain.policy import Backoff, QuietHours
from motcua_notification.domain.routing import Audience
from motcua_notification.service_layer.dispatcher import Dispatcher
from motcua_shared.auth import Role
from motcua_shared.events import NotificationChannel
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    SmtpSink,
    eventually,
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
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def an_email(to: str) -> Delivery:
    now = datetime.now(UTC)
    return Delivery(
        cause_event_id=f"event-{to}",
        event_type="dossier.refused",
        dossier_id="d-1",
        dossier_code="C-1",
        agency_code="A",
        audience=Audience.APPLICANT,
        channel=NotificationChannel.EMAIL,
        recipient=to,
        template="applicant.refused.email",
        template_version=1,
        language="vi",
        subject="Hồ sơ C-1 không được tiếp nhận",
        body="Lý do: thiếu giấy tờ",
        due_at=now,
        created_at=now,
    )


async def _dispatcher(
    db: AsyncDatabase[Any], smtp: SmtpSink, infra: Infrastructure, topics: Topics, http: httpx.AsyncClient, broker: Any
) -> Dispatcher:
    """A dispatcher on `db` that mails to `smtp` and publishes outcomes through `broker`."""
    return Dispatcher(
        deliveries=DeliveryStore(db),
        letters=LetterStore(db),
        subscriptions=SubscriptionStore(db),
        email=SmtpEmailSender(host="127.0.0.1", port=smtp.port, sender="motcua@localhost"),
        sms=HttpSmsGateway(http, url="http://127.0.0.1:1/", token=None, sender="T"),
        webhooks=HttpWebhookSender(http),
        publisher=KafkaOutcomePublisher(broker, topics.notification_events),
        backoff=Backoff(timedelta(seconds=0.1), timedelta(seconds=1), 3),
        quiet_hours=QuietHours(datetime.min.time(), datetime.min.time(), HCM),
        send_timeout=timedelta(seconds=5),
        lease=timedelta(seconds=0.5),
        source="test",
        now=lambda: datetime.now(UTC),
        outbox_grace=timedelta(0),
    )


async def test_a_send_cut_off_by_a_crash_is_marked_unknown_and_never_repeated_and_a_dead_claim_is_released(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    store = DeliveryStore(mongo_db)
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    await broker.connect()
    try:
        with smtp_sink() as smtp:
            async with httpx.AsyncClient() as http:
                dispatcher = await _dispatcher(mongo_db, smtp, infrastructure, topics, http, broker)
                # A sender claimed this one and began sending, then died: did it leave? Nobody knows.
                cut_off = an_email("cut-off@example.vn")
                assert await store.add(cut_off)
                assert await store.claim_attempt(await store.get(cut_off.id) or {}) == 1
                # Another sender won the claim of this one and died before it began to send.
                never_begun = an_email("never-begun@example.vn")
                assert await store.add(never_begun)
                await mongo_db["delivery_claims"].insert_one({"_id": f"{never_begun.id}#1", "at": datetime.now(UTC)})

                assert await dispatcher.run_once() == 0  # within the lease: both left alone
                assert (await store.get(cut_off.id) or {})["status"] == "sending"
                await asyncio.sleep(0.6)
                await dispatcher.run_once()
                await dispatcher.run_once()
                await asyncio.sleep(0.3)
                await dispatcher.run_once()

                unknown = await store.get(cut_off.id) or {}
                begun = await store.get(never_begun.id) or {}
    finally:
        await broker.stop()
    assert unknown["status"] == Status.UNKNOWN
    assert [a["outcome"] for a in unknown["attempts"]] == ["unknown"]
    assert begun["status"] == Status.SENT and begun["claim_seq"] == 2
    assert [m["To"] for m in smtp.inbox] == ["never-begun@example.vn"]  # and nothing to cut-off@


async def test_an_outcome_the_broker_could_not_take_is_kept_and_published_later(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    store = DeliveryStore(mongo_db)
    away = make_broker("127.0.0.1:1")  # never connected: every publish fails
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    await broker.connect()
    try:
        with smtp_sink() as smtp:
            async with httpx.AsyncClient() as http:
                while_away = await _dispatcher(mongo_db, smtp, infrastructure, topics, http, away)
                email = an_email("outbox@example.vn")
                assert await store.add(email)
                assert await while_away.run_once() == 1
                assert len(smtp.inbox) == 1 and (await store.get(email.id) or {})["status"] == "sent"
                assert len(await store.unpublished(datetime.now(UTC) + timedelta(seconds=1))) == 1
                back = await _dispatcher(mongo_db, smtp, infrastructure, topics, http, broker)
                await back.run_once()
                assert await store.unpublished(datetime.now(UTC) + timedelta(seconds=1)) == []
    finally:
        await broker.stop()
    records = await _read_outcomes(infrastructure, topics)
    assert [(r["event_type"], r["data"]["notification_id"]) for r in records] == [("notification.sent", email.id)]


async def _read_outcomes(infrastructure: Infrastructure, topics: Topics) -> list[dict[str, Any]]:
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
        for _ in range(20):  # until something came, then one more read for anything that should not be there
            batches = await consumer.getmany(timeout_ms=500)
            found += [json.loads(r.value) for records in batches.values() for r in records]
            if found and not batches:
                break
    finally:
        await consumer.stop()
    return found


async def test_sms_in_quiet_hours_wait_for_the_morning_while_email_goes_at_once(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(email="dem@example.vn", phone="0900000001")
    real_now = datetime.now(HCM)
    late_evening = real_now.replace(hour=22, minute=30) if real_now.hour >= 7 else real_now.replace(hour=5)
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure,
                mongo_db.name,
                topics,
                smtp_port=smtp.port,
                sms_url=gateway.url("/sms"),
                sms_quiet_start="21:00",
                sms_quiet_end="07:00",
            )
            await publish(
                infrastructure.kafka_bootstrap_servers,
                topics.dossier_events,
                [dossier.submitted(), dossier.accepted(in_days(5))],
            )
            async with running_notification(settings, now=lambda: late_evening) as (_, client):
                assert await eventually(lambda: len(smtp.inbox) >= 2)
                await asyncio.sleep(0.5)
                answer = await client.get(
                    "/v1/notifications", params={"dossier_code": dossier.code}, headers=token(Role.OFFICIAL)
                )
    assert gateway.requests == []
    sms = [n for n in answer.json()["data"] if n["channel"] == "sms"]
    assert len(sms) == 2 and {n["status"] for n in sms} == {"pending"}
    morning = {datetime.fromisoformat(n["due_at"]).astimezone(HCM) for n in sms}
    assert len(morning) == 1
    (at,) = morning
    assert (at.hour, at.minute) == (7, 0) and at > late_evening
    assert sms[0]["sms_encoding"] == "ucs2" and sms[0]["sms_segments"] >= 1
