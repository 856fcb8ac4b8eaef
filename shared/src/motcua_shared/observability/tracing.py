"""OpenTelemetry tracing carried from an HTTP request through Kafka record headers into every consumer.

- `configure_tracing` installs an SDK tracer provider with the exporter the service's settings name
  (`MOTCUA_<SERVICE>_TRACING_EXPORTER` = `none` (default), `console` or `otlp`). With `none` no SDK is
  installed: the OpenTelemetry API then costs next to nothing, yet a `traceparent` that came in with a
  request still goes out with the events (the no-op span keeps its parent's context).
- The shared HTTP middleware starts a SERVER span per request; the shared publish helpers
  (motcua_shared.kafka) start a PRODUCER span and write W3C `traceparent`/`tracestate` into each
  record's headers; the shared consumer (motcua_shared.consuming) continues that trace in a CONSUMER
  span around the handler. So one submission is one trace across every service.
"""

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

TRACER_NAME = "motcua"

Exporter = Literal["none", "console", "otlp"]


class TracingSettings(BaseSettings):
    """Read with the service's own prefix: `TracingSettings(_env_prefix="MOTCUA_INTAKE_")`."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_", extra="ignore")

    tracing_exporter: Exporter = "none"
    # Only for `otlp`; otherwise the exporter's own OTEL_EXPORTER_OTLP_* variables apply.
    tracing_otlp_endpoint: str | None = None


def tracer() -> trace.Tracer:
    # Looked up on each use so that a provider installed later (by configure_tracing, or a test's
    # in-memory one) is the one that records.
    return trace.get_tracer(TRACER_NAME)


def configure_tracing(service_name: str, *, env_prefix: str, exporter: Exporter | None = None) -> bool:
    """Install a tracer provider exporting with the configured exporter; return whether one was installed.
    Call once, at the service's entry point (OpenTelemetry allows one global provider per process)."""
    settings = TracingSettings(_env_prefix=env_prefix)
    chosen = exporter or settings.tracing_exporter
    if chosen == "none":
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    span_exporter: SpanExporter
    if chosen == "console":
        span_exporter = ConsoleSpanExporter(out=sys.stderr)  # stdout is for the JSON log lines
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:  # an optional extra, so that services that don't export stay light
            raise RuntimeError(
                "the otlp tracing exporter needs the optional extra: install motcua-shared[otlp] "
                "(opentelemetry-exporter-otlp-proto-http)"
            ) from exc
        span_exporter = (
            OTLPSpanExporter(endpoint=settings.tracing_otlp_endpoint)
            if settings.tracing_otlp_endpoint
            else OTLPSpanExporter()
        )
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(PersonalDataSpanProcessor())  # first: masks before the exporter's
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    log.info("tracing to the %s exporter", chosen)
    return True


class PersonalDataSpanProcessor(SpanProcessor):
    """Masks personal data in a span's attributes as it starts (a phone given as `?phone=` in a tracking
    request's `url.query`, say), before any exporter can see it."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        from ..logs import mask_personal_data

        for name, value in dict(span.attributes or {}).items():  # type: ignore[attr-defined]
            if isinstance(value, str):
                masked = mask_personal_data(value)
                if masked != value:
                    span.set_attribute(name, masked)


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """`headers` plus the current trace context (`traceparent`, `tracestate`) in W3C form."""
    carrier: dict[str, str] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, Any]) -> otel_context.Context:
    """The trace context a record's or request's headers carry (empty when they carry none)."""
    carrier = {k.lower(): v.decode() if isinstance(v, bytes) else str(v) for k, v in headers.items()}
    return propagate.extract(carrier)


@contextmanager
def producer_span(topic: str, *, events: int, event_type: str | None) -> Iterator[dict[str, str]]:
    """A PRODUCER span around one publish; yields the headers (with the trace context) to send."""
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
        "messaging.batch.message_count": events,
    }
    if event_type:
        attributes["motcua.event_type"] = event_type
    with tracer().start_as_current_span(f"{topic} publish", kind=SpanKind.PRODUCER, attributes=attributes):
        yield inject_headers()


@contextmanager
def consumer_span(topic: str, group: str, headers: Mapping[str, Any], **attributes: Any) -> Iterator[Span]:
    """A CONSUMER span, child of the trace the record's headers carry, current while the handler runs."""
    parent = extract_context(headers)
    base: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": group,
        **{k: v for k, v in attributes.items() if v is not None},
    }
    with tracer().start_as_current_span(
        f"{topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=base
    ) as span:
        yield span


def mark_failed(span: Span, error: BaseException) -> None:
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def current_trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) in hex of the current span, when one is recording, for log lines."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
