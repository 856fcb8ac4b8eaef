"""How every motcua consumer reads a contract topic:

- parse each value with the shared schemas; a value that fails goes to `<topic>.dlq` with the reason
  in headers, and the consumer moves on;
- hand the typed event to the service's handler, which must apply it once by `event_id`;
- acknowledge (commit the offset) only after the handler finished; when it raises (the store is
  away, say), nothing is acknowledged and the event is delivered again after a pause;
- a valid event that the handler fails on for another reason than an unreachable dependency (a
  poison event: the same failure every time) goes to `<topic>.dlq` after `max_attempts`, with the
  error as the reason, so that one record cannot stop its partition for good.

And what every consumer is observed by, without per-service code: the handler runs inside a CONSUMER
span continuing the trace the record's headers carry, and inside a log context binding the event's
id, type and dossier; `motcua_events_consumed_total`, `motcua_dead_letters_total`,
`motcua_event_handling_seconds` and `motcua_consumer_lag` are kept per topic and consumer group.
"""

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pymongo.errors import ConnectionFailure

from .events import Envelope, EventValidationError, parse_event
from .kafka import event_type_of, publish_record
from .logs import bind_log_context, log_context
from .observability import metrics
from .observability.tracing import consumer_span, mark_failed
from .topics import Topics, dead_letter_topic

log = logging.getLogger(__name__)

EventHandler = Callable[[Any], Awaitable[None]]

# Header names on dead-letter records.
DLQ_REASON = "dlq-reason"
DLQ_FIELD = "dlq-field"
DLQ_SOURCE = "dlq-source"  # topic/partition/offset of the original record
DLQ_CONSUMER = "dlq-consumer"

# What subscribe_events registered on each broker, for its AsyncAPI document (observability/asyncapi.py).
SUBSCRIPTIONS: "weakref.WeakKeyDictionary[KafkaBroker, list[Subscription]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Subscription:
    topic: str
    group_id: str
    expect: tuple[type[Envelope], ...]

    @property
    def title(self) -> str:
        return f"{self.topic}:{self.group_id}"


async def publish_dead_letter(
    broker: KafkaBroker, record: Any, *, topic: str, consumer: str, reason: str, field: str
) -> None:
    """Publish the original bytes of a bad record (an aiokafka ConsumerRecord) to `<topic>.dlq`,
    keeping its key."""
    await publish_record(
        broker,
        getattr(record, "value", None) or b"",
        topic=dead_letter_topic(topic),
        key=getattr(record, "key", None),
        headers={
            DLQ_REASON: reason[:2000],
            DLQ_FIELD: field,
            DLQ_SOURCE: f"{topic}/{getattr(record, 'partition', '?')}/{getattr(record, 'offset', '?')}",
            DLQ_CONSUMER: consumer,
        },
    )
    metrics.DEAD_LETTERS.labels(topic=topic, group=consumer).inc()
    log.warning("dead-lettered a record of %s: %s", topic, reason, extra={"topic": topic})


# Failures that say a dependency is away, not that the event is bad: retried for as long as it takes.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionFailure, KafkaError, OSError, asyncio.TimeoutError)


class PoisonWatch:
    """Counts a consumer's failures per record (in memory: a restart gives a record fresh attempts)."""

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self._failures: dict[tuple[Any, Any], int] = {}

    def poisoned(self, record: Any, error: Exception) -> bool:
        """Whether this failure makes the record a poison event (to dead-letter now)."""
        if isinstance(error, TRANSIENT_ERRORS):
            return False
        key = (getattr(record, "partition", None), getattr(record, "offset", None))
        if len(self._failures) > 10_000:
            self._failures.clear()
        self._failures[key] = self._failures.get(key, 0) + 1
        if self._failures[key] < self.max_attempts:
            return False
        del self._failures[key]
        return True


def record_lag(consumer: Any, record: Any, topic: str, group: str) -> None:
    """Lag after this record: the partition's end offset as last fetched minus the next position.
    Sampled on each record, so it is current whenever the consumer is working."""
    highwater = getattr(consumer, "highwater", None)  # absent on the in-memory test consumer
    partition = getattr(record, "partition", None)
    offset = getattr(record, "offset", None)
    if highwater is None or partition is None or offset is None:
        return
    end = highwater(TopicPartition(topic, partition))
    if end is not None:
        metrics.CONSUMER_LAG.labels(topic=topic, partition=str(partition), group=group).set(max(end - offset - 1, 0))


def _description(topic: str, group_id: str, expect: tuple[type[Envelope], ...]) -> str:
    return (
        f"Consumer group `{group_id}`: "
        + ", ".join(f"`{t.model_fields['event_type'].default}`" for t in expect)
        + f". Invalid records go to `{dead_letter_topic(topic)}`; acknowledged after the handler."
    )


def raw_body(message: Any) -> bytes:
    """FastStream's decoder, replaced: the record's bytes as they are. Its default runs json.loads on the
    body before our handler, and JSON nested deeper than the parser's stack (RecursionError), or bad
    JSON under a `content-type: application/json` header, then fails outside our handler: never
    acknowledged, redelivered for ever, the partition stopped. parse_event refuses such records itself."""
    body: bytes = message.body
    return body


def subscribe_events(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    expect: tuple[type[Envelope], ...],
    handle: EventHandler,
    retry_pause: float = 1.0,
    max_attempts: int = 5,
) -> None:
    """Register `handle` for the events of `topic` (see the module docstring for the guarantees)."""
    subscription = Subscription(topic, group_id, expect)
    failures = PoisonWatch(max_attempts)
    SUBSCRIPTIONS.setdefault(broker, []).append(subscription)

    @broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
        title=subscription.title,
        description=_description(topic, group_id, expect),
    )
    async def consume(message: KafkaMessage) -> None:
        record = message.raw_message
        with (
            log_context(topic=topic),
            consumer_span(
                topic,
                group_id,
                message.headers,
                **{
                    "messaging.kafka.destination.partition": getattr(record, "partition", None),
                    "messaging.kafka.message.offset": getattr(record, "offset", None),
                },
            ) as span,
        ):
            record_lag(message.consumer, record, topic, group_id)
            try:
                event = parse_event(message.body, expect=expect)
            except EventValidationError as error:
                metrics.EVENTS_CONSUMED.labels(
                    topic=topic, group=group_id, event_type="invalid", outcome="dead_lettered"
                ).inc()
                span.set_attribute("motcua.dead_lettered", True)
                await publish_dead_letter(
                    broker, record, topic=topic, consumer=group_id, reason=error.reason, field=error.field
                )
                return
            event_type = event_type_of(event)
            context = {
                "event_id": str(event.event_id),
                "event_type": event_type,
                "dossier_id": getattr(event, "dossier_id", None),
                "dossier_code": getattr(getattr(event, "data", None), "dossier_code", None),
            }
            bind_log_context(**context)
            span.set_attributes({f"motcua.{k}": v for k, v in context.items() if v is not None})
            started = time.perf_counter()
            try:
                await handle(event)
            except Exception as error:
                metrics.EVENTS_CONSUMED.labels(
                    topic=topic, group=group_id, event_type=event_type, outcome="failed"
                ).inc()
                mark_failed(span, error)
                if failures.poisoned(record, error):
                    span.set_attribute("motcua.dead_lettered", True)
                    await publish_dead_letter(
                        broker,
                        record,
                        topic=topic,
                        consumer=group_id,
                        field="$",
                        reason=f"the consumer failed {failures.max_attempts} times on it: "
                        f"{type(error).__name__}: {error}",
                    )
                    return
                log.exception("could not apply %s; it will be delivered again", event_type)
                await asyncio.sleep(retry_pause)  # don't spin while a dependency is away
                raise
            finally:
                metrics.EVENT_HANDLING.labels(topic=topic, group=group_id).observe(time.perf_counter() - started)
            metrics.EVENTS_CONSUMED.labels(topic=topic, group=group_id, event_type=event_type, outcome="applied").inc()


U = TypeVar("U")


@dataclass(frozen=True)
class Consumes(Generic[U]):
    """One row of a service's consumer table: the events of `topic` go to `handler(unit, event)`,
    where the unit is what the service's handlers need (its stores, its clock…)."""

    topic: Callable[[Topics], str]
    expect: tuple[type[Envelope], ...]
    handler: Callable[[U, Any], Awaitable[None]]


def subscribe_table(
    broker: KafkaBroker, table: Sequence[Consumes[U]], unit: U, topics: Topics, *, group_id: str
) -> None:
    """Subscribe every row of a consumer table with `subscribe_events` (ack after the handler)."""
    for row in table:

        async def handle(event: Any, handler: Callable[[U, Any], Awaitable[None]] = row.handler) -> None:
            await handler(unit, event)

        subscribe_events(broker, row.topic(topics), group_id=group_id, expect=row.expect, handle=handle)


# How long a batch waits for the records that reached the broker while the batch before was handled.
TOP_UP_MS = 5


async def top_up(consumer: Any, room: int, wait_ms: int = TOP_UP_MS) -> list[Any]:
    """The records of the fetch aiokafka sent when FastStream took this batch, if they come within
    `wait_ms`. aiokafka fetches a partition again only once its buffered records are taken, so a record
    that reached the broker while the batch before was handled, after the fetch in flight had returned,
    would wait for one more whole batch: at a steady rate that doubled the time to visible (issue 16)."""
    getmany = getattr(consumer, "getmany", None)  # absent on the in-memory test consumer
    if room <= 0 or getmany is None:
        return []
    fetched = await getmany(timeout_ms=wait_ms, max_records=room)
    return [record for records in fetched.values() for record in records]


def rewind(consumer: Any, records: Sequence[Any]) -> None:
    """Seek each partition back to its earliest record of `records`, so that none is committed unhandled."""
    earliest: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        earliest[partition] = min(record.offset, earliest.get(partition, record.offset))
    for partition, offset in earliest.items():
        try:
            consumer.seek(partition, offset)
        except IllegalStateError:  # no longer assigned here: its next owner starts at the committed offset
            continue


# A batch handler gets each partition's records in order: (offset, event), the event None where the
# record was dead-lettered (its offset still counts as done).
BatchHandler = Callable[[dict[int, list[tuple[int, Any]]]], Awaitable[None]]


def _recalled(
    recall: Callable[[bytes], Envelope | None] | None, value: bytes | None, expect: tuple[type[Envelope], ...]
) -> Envelope | None:
    event = recall(value) if recall is not None and value else None
    return event if isinstance(event, expect) else None


def subscribe_event_batches(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    expect: tuple[type[Envelope], ...],
    handle_batch: BatchHandler,
    max_records: int,
    batch_timeout_ms: int,
    retry_pause: float = 1.0,
    top_up_ms: int = TOP_UP_MS,
    recall: Callable[[bytes], Envelope | None] | None = None,
) -> None:
    """`subscribe_events` for a handler that folds many records at once with bulk writes: the same
    parsing and dead letters, metrics and a CONSUMER span per record (open while its batch is folded),
    and the batch acknowledged only after the handler; on an error the whole batch comes again. Each
    batch FastStream hands over is topped up with what the fetch sent then brings (`top_up`). `recall`
    gives back the event a record's value was published from by this process (publishing.
    RecentlyPublished.recall): that record is not parsed again."""
    SUBSCRIPTIONS.setdefault(broker, []).append(Subscription(topic, group_id, expect))

    @broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        decoder=raw_body,
        title=f"{topic}:{group_id}",
        description=_description(topic, group_id, expect),
    )
    async def consume(message: KafkaMessage) -> None:
        handed = message.raw_message if isinstance(message.raw_message, (list, tuple)) else (message.raw_message,)
        more = await top_up(message.consumer, max_records - len(handed), top_up_ms)
        try:
            await handle_records(message, (*handed, *more))
        except BaseException:
            rewind(message.consumer, more)  # FastStream rewinds only to the records it handed over
            raise

    async def handle_records(message: KafkaMessage, records: Sequence[Any]) -> None:
        by_partition: dict[int, list[tuple[int, Any]]] = {}
        applied: list[str] = []
        with log_context(topic=topic), contextlib.ExitStack() as open_spans:
            spans = []
            for record in records:
                headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
                span = open_spans.enter_context(
                    consumer_span(
                        topic,
                        group_id,
                        headers,
                        **{
                            "messaging.kafka.destination.partition": record.partition,
                            "messaging.kafka.message.offset": record.offset,
                        },
                    )
                )
                record_lag(message.consumer, record, topic, group_id)
                event: Envelope | None
                try:
                    event = _recalled(recall, record.value, expect) or parse_event(record.value or b"", expect=expect)
                except EventValidationError as error:
                    metrics.EVENTS_CONSUMED.labels(
                        topic=topic, group=group_id, event_type="invalid", outcome="dead_lettered"
                    ).inc()
                    span.set_attribute("motcua.dead_lettered", True)
                    await publish_dead_letter(
                        broker, record, topic=topic, consumer=group_id, reason=error.reason, field=error.field
                    )
                    event = None
                else:
                    event_type = event_type_of(event)
                    applied.append(event_type)
                    span.set_attributes(
                        {
                            k: v
                            for k, v in {
                                "motcua.event_id": str(event.event_id),
                                "motcua.event_type": event_type,
                                "motcua.dossier_id": getattr(event, "dossier_id", None),
                            }.items()
                            if v is not None
                        }
                    )
                    spans.append(span)
                by_partition.setdefault(record.partition, []).append((record.offset, event))
            started = time.perf_counter()
            try:
                await handle_batch(by_partition)
            except Exception as error:
                for span in spans:
                    mark_failed(span, error)
                for event_type in applied:
                    metrics.EVENTS_CONSUMED.labels(
                        topic=topic, group=group_id, event_type=event_type, outcome="failed"
                    ).inc()
                log.exception(
                    "could not apply a batch of %d records of %s; it will be delivered again", len(records), topic
                )
                await asyncio.sleep(retry_pause)  # don't spin while a dependency is away
                raise
            finally:
                metrics.EVENT_HANDLING.labels(topic=topic, group=group_id).observe(time.perf_counter() - started)
            for event_type in applied:
                metrics.EVENTS_CONSUMED.labels(
                    topic=topic, group=group_id, event_type=event_type, outcome="applied"
                ).inc()
