"""Factories for the Kafka broker (FastStream) used by every service, and the one way motcua publishes.

Every publish goes through `publish_event`, `publish_batch` or `publish_record`, so that each record
carries the W3C trace context in its headers (see observability/tracing.py) and is counted in
`motcua_events_published_total` / `motcua_publish_failures_total`, whichever broker sends it."""

import logging
from collections.abc import Sequence

from faststream.kafka import KafkaBroker, KafkaResponse

from .events import Envelope
from .observability import metrics
from .observability.tracing import producer_span

FASTSTREAM_LOGGER = logging.getLogger("motcua.faststream")


def make_broker(bootstrap_servers: str, *, client_id: str = "motcua") -> KafkaBroker:
    """A FastStream Kafka broker whose producer is idempotent and waits for all in-sync replicas,
    so that a publish that returns has been durably acknowledged by the broker."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        # Fail fast when the broker is away: callers turn a timeout into 503 + Retry-After.
        request_timeout_ms=10_000,
        # FastStream's own messages through the service's JSON logs (masked, with the event's context)
        # rather than FastStream's coloured handler.
        logger=FASTSTREAM_LOGGER,
    )


def event_type_of(event: Envelope) -> str:
    """The `event_type` every concrete event class fixes (the base Envelope declares none)."""
    return str(getattr(event, "event_type", "unknown"))


def _raw_key(key: str | bytes | None) -> bytes | None:
    return key.encode() if isinstance(key, str) else key


async def publish_event(
    broker: KafkaBroker, event: Envelope, *, topic: str, key: str | bytes | None, value: bytes | None = None
) -> None:
    """Publish one contract event under `key`, with the trace context in its headers; `value` is the
    event's bytes when the caller has them already."""
    with producer_span(topic, events=1, event_type=event_type_of(event)) as headers:
        try:
            await broker.publish(value or event.to_bytes(), topic=topic, key=_raw_key(key), headers=headers)
        except BaseException:  # a caller's timeout cancels us: that publish failed too
            metrics.PUBLISH_FAILURES.labels(topic=topic).inc()
            raise
    metrics.EVENTS_PUBLISHED.labels(topic=topic, event_type=event_type_of(event)).inc()


async def publish_batch(
    broker: KafkaBroker,
    events: Sequence[Envelope],
    *,
    topic: str,
    key: str | bytes | None,
    partition: int | None,
    values: Sequence[bytes] | None = None,
) -> None:
    """Publish `events` as ONE record batch (Kafka appends it whole or not at all), each record with the
    trace context in its headers; `values` are the events' bytes when the caller has them already."""
    raw_key = _raw_key(key)
    values = values or [event.to_bytes() for event in events]
    types = sorted({event_type_of(e) for e in events})
    with producer_span(topic, events=len(events), event_type=",".join(types)) as headers:
        try:
            # Batch-level headers: FastStream writes them on every record of the batch.
            await broker.publish_batch(
                *(KafkaResponse(value, key=raw_key) for value in values),
                topic=topic,
                partition=partition,
                headers=headers,
            )
        except BaseException:  # a caller's timeout cancels us: that publish failed too
            metrics.PUBLISH_FAILURES.labels(topic=topic).inc()
            raise
    for event in events:
        metrics.EVENTS_PUBLISHED.labels(topic=topic, event_type=event_type_of(event)).inc()


async def publish_record(
    broker: KafkaBroker,
    body: bytes,
    *,
    topic: str,
    key: bytes | None,
    headers: dict[str, str],
    event_type: str | None = None,
) -> None:
    """Publish raw bytes (a dead letter's original value, say) with `headers` plus the trace context."""
    with producer_span(topic, events=1, event_type=event_type) as trace_headers:
        try:
            await broker.publish(body, topic=topic, key=key, headers={**headers, **trace_headers})
        except BaseException:  # a caller's timeout cancels us: that publish failed too
            metrics.PUBLISH_FAILURES.labels(topic=topic).inc()
            raise
