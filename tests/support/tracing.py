"""Spans collected in memory for tests: one SDK tracer provider per test process (OpenTelemetry allows
one global provider), shared by every test module that looks at spans."""

from motcua_shared.observability.tracing import PersonalDataSpanProcessor
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_exporter: InMemorySpanExporter | None = None


def in_memory_spans() -> InMemorySpanExporter:
    """The exporter every finished span of this process goes to (installed on first use)."""
    global _exporter
    if _exporter is None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(PersonalDataSpanProcessor())  # as configure_tracing does
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _exporter = exporter
    return _exporter


def trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


def parent_span_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None
