"""Notification folds dossier events in batches (against the real broker and store, a real SMTP server
and a real HTTP SMS gateway): a batch mixing dossiers tells each applicant in the order of their
dossier's events, the same batch delivered again sends nothing twice, and an event the notifier
cannot decide on goes to the dead letters with the reason while the rest of its batch is told."""

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from motcua_notification.config import Settings
from motcua_notification.service_layer.deciding import Decider
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    dead_letters,
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
SMS_PATH = "/sms"


async def caught_up(infrastructure: Infrastructure, settings: Settings) -> bool:
    """Whether the settings' consumer group has committed the end of the dossier topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=infrastructure.kafka_bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        topic = settings.topics.dossier_events
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0, 1, 2})]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(settings.consumer_group, partitions=partitions)
        return all(tp in committed and committed[tp].offset >= end for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def test_a_batch_mixing_dossiers_tells_each_in_its_order_and_the_same_batch_again_sends_nothing_twice(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossiers = [Dossier(email=f"batch{i}@example.vn", phone=f"09130000{i:02d}") for i in range(3)]
    steps = [
        lambda d: d.submitted(),
        lambda d: d.accepted(in_days(10)),
        lambda d: d.supplement_requested("Thiếu giấy tờ", ["Bản sao CCCD"]),
        lambda d: d.result_ready(),
    ]
    # Interleaved across dossiers, each dossier's own in order; all on the topic before notification
    # starts, so that they come in one batch (or a few).
    events = [step(d) for step in steps for d in dossiers]
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url(SMS_PATH)
            )
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, events)
            async with running_notification(settings) as (_, client):
                assert await eventually(lambda: len(smtp.inbox) >= 12 and len(gateway.at(SMS_PATH)) >= 12)
                histories = [
                    (
                        await client.get(
                            "/v1/notifications", params={"dossier_code": d.code}, headers=token(Role.OFFICIAL)
                        )
                    ).json()["data"]
                    for d in dossiers
                ]
            # The same records again, as after a crash before the acknowledgement: a new consumer
            # group reads the topic from the start, on the same store.
            again = settings.model_copy(update={"consumer_group": settings.consumer_group + "-again"})
            async with running_notification(again):
                assert await eventually(lambda: caught_up(infrastructure, again))
                await asyncio.sleep(1.0)  # time enough for anything that would be sent twice

    for dossier, history in zip(dossiers, histories, strict=True):
        told = list(dict.fromkeys(n["event_type"] for n in history))
        assert told == [
            "dossier.submitted",
            "dossier.accepted",
            "dossier.supplement_requested",
            "dossier.result_ready",
        ], history
        assert {n["recipient"] for n in history} == {dossier.email, dossier.phone}
    emails = Counter((m["To"], m["Subject"]) for m in smtp.inbox)
    texts = Counter((r.json()["to"], r.json()["text"]) for r in gateway.at(SMS_PATH))
    assert len(emails) == 12 and set(emails.values()) == {1}, emails
    assert len(texts) == 12 and set(texts.values()) == {1}, texts


class FailsOn(Decider):
    """The notifier's decider, failing on one event (a stand-in for a bug only that event meets)."""

    event_id: str = ""

    def decide(self, event: Any, *args: Any) -> Any:
        if str(event.event_id) == self.event_id:
            raise ValueError("a template this event breaks")
        return super().decide(event, *args)


async def test_an_event_that_cannot_be_decided_goes_to_the_dead_letters_and_the_rest_of_its_batch_is_told(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossiers = [Dossier(email=f"poison{i}@example.vn") for i in range(2)]
    bad = dossiers[0].accepted(in_days(10))
    events = [dossiers[0].submitted(), dossiers[1].submitted(), bad, dossiers[1].accepted(in_days(10))]
    with smtp_sink() as smtp:
        settings = notification_settings(
            infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url="http://127.0.0.1:1/"
        )
        async with running_notification(settings) as (app, _):
            notifier = app.state.notifier
            failing = FailsOn(
                quiet_hours=notifier.quiet_hours,
                sms_without_diacritics=False,
                portal_url=notifier.portal_url,
            )
            failing.event_id = str(bad.event_id)
            notifier.decider = failing
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, events)
            assert await eventually(lambda: len(smtp.inbox) >= 3)
            assert await eventually(lambda: caught_up(infrastructure, settings))
            await asyncio.sleep(0.5)
    assert Counter(m["To"] for m in smtp.inbox) == {dossiers[0].email: 1, dossiers[1].email: 2}

    records = await dead_letters(infrastructure.kafka_bootstrap_servers, topics.dossier_events)
    assert len(records) == 1 and records[0].key == dossiers[0].dossier_id.encode()
    assert str(bad.event_id) in records[0].value.decode()
    headers = {k: v.decode() for k, v in records[0].headers}
    assert "a template this event breaks" in headers["dlq-reason"]
    assert headers["dlq-consumer"] == settings.consumer_group
