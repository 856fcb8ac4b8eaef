"""Trace context carried in W3C headers: from a request into the app, from a publish into each record,
from a record into the consumer's handler."""

import os
import subprocess
import sys
import uuid

from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker, TestKafkaBroker
from motcua_shared.api import create_app
from motcua_shared.consuming import subscribe_events
from motcua_shared.events import DOSSIER_EVENT_TYPES, DossierEvent
from motcua_shared.kafka import publish_batch, publish_event
from motcua_shared.observability.tracing import current_trace_ids, extract_context, inject_headers, tracer
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from support import samples
from support.tracing import in_memory_spans, trace_id

spans = in_memory_spans()
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_inject_then_extract_gives_back_the_same_span_context() -> None:
    with tracer().start_as_current_span("outer") as span:
        headers = inject_headers({"dlq-reason": "x"})
    assert headers["dlq-reason"] == "x"
    assert headers["traceparent"].split("-")[1] == format(span.get_span_context().trace_id, "032x")
    extracted = trace.get_current_span(extract_context({k.upper(): v.encode() for k, v in headers.items()}))
    assert extracted.get_span_context().span_id == span.get_span_context().span_id


def test_without_a_current_span_nothing_is_injected() -> None:
    assert "traceparent" not in inject_headers()


def test_a_request_continues_the_callers_trace_in_a_server_span_named_by_route() -> None:
    app = create_app(title="tracing test")
    seen: dict[str, str] = {}

    @app.get("/v1/things/{code}")
    async def thing(code: str) -> dict[str, str]:
        ids = current_trace_ids()
        assert ids is not None
        seen["trace_id"] = ids[0]
        return {"code": code}

    spans.clear()
    response = TestClient(app).get("/v1/things/A-1", headers={"traceparent": f"00-{TRACE}-{PARENT}-01"})
    assert response.status_code == 200
    assert seen["trace_id"] == TRACE
    (server,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert server.name == "GET /v1/things/{code}"
    assert trace_id(server) == TRACE
    assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200


def test_personal_data_in_a_requests_query_never_reaches_its_span() -> None:
    app = create_app(title="tracking")

    @app.get("/v1/track/{code}")
    async def track(code: str, phone: str) -> dict[str, str]:
        return {"code": code}

    spans.clear()
    assert TestClient(app).get("/v1/track/S-1", params={"phone": "0912345678"}).status_code == 200
    (server,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert server.attributes is not None
    assert "0912345678" not in str(dict(server.attributes))
    assert server.attributes["url.query"] == "phone=***"


def test_operations_endpoints_are_not_traced() -> None:
    spans.clear()
    TestClient(create_app(title="quiet")).get("/health")
    assert spans.get_finished_spans() == ()


async def test_a_published_event_is_handled_in_a_consumer_span_of_the_publishers_trace() -> None:
    topic = f"tracing-{uuid.uuid4().hex[:6]}"
    events = samples.dossier_events()[:3]
    handled: dict[str, str] = {}

    async def handle(event: DossierEvent) -> None:
        ids = current_trace_ids()
        assert ids is not None
        handled[str(event.event_id)] = ids[0]

    broker = KafkaBroker()
    subscribe_events(broker, topic, group_id="tracing-group", expect=DOSSIER_EVENT_TYPES, handle=handle)
    spans.clear()
    async with TestKafkaBroker(broker) as test_broker:
        with tracer().start_as_current_span("request") as request:
            await publish_event(test_broker, events[0], topic=topic, key=events[0].dossier_id)
            await publish_batch(test_broker, events[1:], topic=topic, key=events[1].dossier_id, partition=None)
    expected = format(request.get_span_context().trace_id, "032x")
    assert handled == {str(e.event_id): expected for e in events}

    finished = spans.get_finished_spans()
    producers = [s for s in finished if s.kind is SpanKind.PRODUCER]
    consumers = [s for s in finished if s.kind is SpanKind.CONSUMER]
    assert [s.name for s in producers] == [f"{topic} publish"] * 2
    assert len(consumers) == 3
    producer_ids = {s.context.span_id for s in producers if s.context}
    for span in consumers:
        assert span.name == f"{topic} process"
        assert trace_id(span) == expected
        assert span.parent is not None and span.parent.span_id in producer_ids
        assert span.attributes is not None
        assert span.attributes["messaging.consumer.group.name"] == "tracing-group"
        assert span.attributes["motcua.event_id"] in handled


def run_service_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (one tracer provider per process) configuring tracing as a service's main does."""
    script = (
        "from motcua_shared.observability.tracing import configure_tracing, tracer\n"
        "installed = configure_tracing('probe-service', env_prefix='MOTCUA_PROBE_')\n"
        "with tracer().start_as_current_span('probe-span'): pass\n"
        "print('installed' if installed else 'not installed', flush=True)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_tracing_is_off_by_default_and_the_exporter_is_chosen_by_the_services_environment() -> None:
    quiet = run_service_process({})
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "not installed"

    console = run_service_process({"MOTCUA_PROBE_TRACING_EXPORTER": "console"})
    assert console.returncode == 0, console.stderr
    assert console.stdout.startswith("installed")
    assert '"name": "probe-span"' in console.stderr  # flushed by the provider at exit
    assert '"service.name": "probe-service"' in console.stderr

    wrong = run_service_process({"MOTCUA_PROBE_TRACING_EXPORTER": "zipkin"})
    assert wrong.returncode != 0 and "tracing_exporter" in wrong.stderr
