"""How every motcua consumer reads a contract topic:

- parse each value with the shared schemas; a value that fails goes to `<topic>.dlq` with the reason
  in headers, and the consumer moves on;
- hand the typed event to the service's handler, which must apply it once by `event_id`;
- acknowledge (commit the offset) only after the handler finished; when it raises (the store is
  away, say), nothing is acknowledged and the event is delivered again after a pause.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from .events import Envelope, EventValidationError, parse_event
from .topics import dead_letter_topic

log = logging.getLogger(__name__)

EventHandler = Callable[[Any], Awaitable[None]]

# Header names on dead-letter records.
DLQ_REASON = "dlq-reason"
DLQ_FIELD = "dlq-field"
DLQ_SOURCE = "dlq-source"  # topic/partition/offset of the original record
DLQ_CONSUMER = "dlq-consumer"


async def publish_dead_letter(
    broker: KafkaBroker, message: KafkaMessage, *, topic: str, consumer: str, error: EventValidationError
) -> None:
    """Publish the original bytes of a bad record to `<topic>.dlq`, keeping its key."""
    record = message.raw_message
    await broker.publish(
        message.body,
        topic=dead_letter_topic(topic),
        key=getattr(record, "key", None),
        headers={
            DLQ_REASON: error.reason[:2000],
            DLQ_FIELD: error.field,
            DLQ_SOURCE: f"{topic}/{getattr(record, 'partition', '?')}/{getattr(record, 'offset', '?')}",
            DLQ_CONSUMER: consumer,
        },
    )
    log.warning("dead-lettered a record of %s: %s", topic, error.reason, extra={"topic": topic})


def subscribe_events(
    broker: KafkaBroker,
    topic: str,
    *,
    group_id: str,
    expect: tuple[type[Envelope], ...],
    handle: EventHandler,
    retry_pause: float = 1.0,
) -> None:
    """Register `handle` for the events of `topic` (see the module docstring for the guarantees)."""

    @broker.subscriber(
        topic,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def consume(message: KafkaMessage) -> None:
        try:
            event = parse_event(message.body, expect=expect)
        except EventValidationError as error:
            await publish_dead_letter(broker, message, topic=topic, consumer=group_id, error=error)
            return
        try:
            await handle(event)
        except Exception:
            log.exception(
                "could not apply %s; it will be delivered again", event.event_type,
                extra={"event_id": event.event_id, "event_type": event.event_type, "topic": topic},
            )
            await asyncio.sleep(retry_pause)  # don't spin while a dependency is away
            raise
