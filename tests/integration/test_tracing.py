"""One submission is one trace: intake's HTTP span, its publish to Kafka, and every service's consumer
span, across the real broker and store (each service's app in this process, spans kept in memory).

Each consuming service is one entry of CONSUMERS; a new consumer joins the test with one line there."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from pymongo import AsyncMongoClient
from support.infrastructure import Infrastructure
from support.tracing import in_memory_spans, trace_id
from test_intake_support import calendar_options, dossier_body, idem, intake_settings, running_intake, seed_catalogue
from test_intake_support import token as intake_token
from test_notification_support import http_receiver, notification_settings, running_notification, smtp_sink
from test_processing_support import (
    eventually,
    own_topics,  # noqa: F401 (the `topics` fixture: this test's own topics, so a new group reads only its events)
    processing_settings,
    running_processing,
)
from test_reporting_support import reporting_settings, running_reporting

spans = in_memory_spans()


@dataclass
class Consumer:
    """A running service that consumes dossier.events: its consumer group and an HTTP client on it."""

    service: str
    group_id: str
    client: httpx.AsyncClient


ConsumerFactory = Callable[[Infrastructure, Topics, str], AbstractAsyncContextManager[Consumer]]


@asynccontextmanager
async def processing_consumer(infra: Infrastructure, topics: Topics, database: str) -> AsyncIterator[Consumer]:
    settings = processing_settings(infra.kafka_bootstrap_servers, infra.mongodb_url, database, topics)
    async with running_processing(settings) as (_, client):
        yield Consumer("processing", settings.consumer_group, client)


@asynccontextmanager
async def reporting_consumer(infra: Infrastructure, topics: Topics, database: str) -> AsyncIterator[Consumer]:
    settings = reporting_settings(infra.kafka_bootstrap_servers, infra.mongodb_url, database, topics)
    async with running_reporting(settings) as client:
        yield Consumer("reporting", settings.consumer_group, client)


@asynccontextmanager
async def notification_consumer(infra: Infrastructure, topics: Topics, database: str) -> AsyncIterator[Consumer]:
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infra, database, topics, smtp_port=smtp.port, sms_url=f"http://127.0.0.1:{gateway.port}/sms"
            )
            async with running_notification(settings) as (_, client):
                yield Consumer("notification", settings.consumer_group, client)


CONSUMERS: list[ConsumerFactory] = [
    processing_consumer,
    reporting_consumer,
    notification_consumer,
]


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


async def test_one_submission_is_one_trace_from_intake_through_kafka_into_every_consumer(
    infrastructure: Infrastructure, topics: Topics, mongo_client: AsyncMongoClient[Any], run_id: str
) -> None:
    agency = f"T{uuid.uuid4().hex[:6].upper()}"
    procedure = f"{agency}.01"
    databases = [f"t_{run_id}_trace_{uuid.uuid4().hex[:6]}_{i}" for i in range(len(CONSUMERS) + 1)]
    intake = intake_settings(infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, databases[0], topics)
    try:
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(running_intake(intake, **calendar_options()))
            consumers = [
                await stack.enter_async_context(factory(infrastructure, topics, database))
                for factory, database in zip(CONSUMERS, databases[1:], strict=True)
            ]
            for service in [client, *(c.client for c in consumers)]:
                ready = await service.get("/ready")
                assert ready.json() == {"status": "ready", "checks": {"kafka": "ok", "store": "ok"}}, ready.text
            await seed_catalogue(client, agency, {procedure: 4})

            response = await client.post(
                "/v1/dossiers",
                headers=idem(intake_token(Role.APPLICANT)),
                json=dossier_body(procedure, agency, "online"),
            )
            assert response.status_code == 201, response.text
            dossier_id = response.json()["dossier_id"]

            def submission_spans() -> list[ReadableSpan]:
                (request,) = [
                    s
                    for s in spans.get_finished_spans()
                    if s.kind is SpanKind.SERVER
                    and s.name == "POST /v1/dossiers"
                    and s.attributes
                    and s.attributes.get("http.response.status_code") == 201
                    and trace_id(s) in {trace_id(p) for p in publishes()}
                ]
                return [s for s in spans.get_finished_spans() if trace_id(s) == trace_id(request)]

            def publishes() -> list[ReadableSpan]:
                return [
                    s
                    for s in spans.get_finished_spans()
                    if s.kind is SpanKind.PRODUCER
                    and s.name == f"{topics.dossier_events} publish"
                    and s.attributes
                    and s.attributes.get("motcua.event_type") == "dossier.submitted"
                ]

            groups = {c.group_id for c in consumers} | {intake.consumer_group}

            async def every_consumer_handled_it() -> list[ReadableSpan]:
                handled = {
                    s.attributes.get("messaging.consumer.group.name")
                    for s in submission_spans()
                    if s.kind is SpanKind.CONSUMER and s.attributes
                }
                return submission_spans() if groups <= handled else []

            trace = await eventually(every_consumer_handled_it, wait=30)
            assert trace, f"consumer spans of the submission's trace: {[s.name for s in submission_spans()]}"

            (request,) = [s for s in trace if s.kind is SpanKind.SERVER]
            (publish,) = [s for s in trace if s.kind is SpanKind.PRODUCER]
            assert publish.parent is not None and request.context is not None
            # The publish happens inside the request (FastAPI's operation spans may stand in between).
            by_id = {s.context.span_id: s for s in trace if s.context}
            ancestor = by_id.get(publish.parent.span_id)
            while ancestor is not None and ancestor is not request:
                ancestor = by_id.get(ancestor.parent.span_id) if ancestor.parent else None
            assert ancestor is request
            consumed = [s for s in trace if s.kind is SpanKind.CONSUMER]
            for group in groups:
                (span,) = [
                    s for s in consumed if s.attributes and s.attributes["messaging.consumer.group.name"] == group
                ]
                assert span.name == f"{topics.dossier_events} process"
                assert span.parent is not None and publish.context is not None
                assert span.parent.span_id == publish.context.span_id  # continued from the record's headers
                assert span.attributes["motcua.dossier_id"] == dossier_id
                assert span.attributes["motcua.event_type"] == "dossier.submitted"

            # Each consumer's /metrics counts the event it applied, and its lag on the topic.
            for consumer in consumers:
                text = (await consumer.client.get("/metrics")).text
                labels = {"topic": topics.dossier_events, "group": consumer.group_id}
                assert (
                    metric(
                        text,
                        "motcua_events_consumed_total",
                        **labels,
                        event_type="dossier.submitted",
                        outcome="applied",
                    )
                    == 1
                ), consumer.service
                assert metric(text, "motcua_consumer_lag", **labels) == 0, consumer.service
    finally:
        for database in databases:
            await mongo_client.drop_database(database)
