"""Publishing decisions to Kafka so that a 2xx means the broker acknowledged them, and a 503 means
they will NOT appear later (intake's and processing's publisher).

Why not with motcua_shared.kafka.make_broker's producer: that producer is idempotent, and aiokafka's
idempotent producer never expires a batch, it retries it until the broker returns (aiokafka/producer/
sender.py, `_can_retry`). A request answered 503 during an outage would then still be published minutes
later: the caller, told it failed, may act again and get a second dossier or decision. This producer waits
for all in-sync replicas (acks=all) and keeps order per partition (aiokafka sends one request per broker
at a time), but gives up on a batch once `request_timeout_ms` has passed, so a failed publish is dropped,
not delayed. The one duplicate idempotence would have prevented (the broker wrote a batch but its ack was
lost, and the client retries) carries the same event_ids, which every consumer applies once.

Several events of one dossier (submitted + accepted) go out as ONE record batch to the partition the
default partitioner picks for the dossier's key: Kafka appends a batch whole or not at all, so a counter
dossier is never half-published, and its events stay in order with everything later published under the
same key."""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker

from .events import Envelope
from .kafka import FASTSTREAM_LOGGER, publish_batch, publish_event

log = logging.getLogger(__name__)


def make_publishing_broker(bootstrap_servers: str, *, client_id: str, request_timeout_ms: int) -> KafkaBroker:
    """The broker decisions are published with (see the module docstring for why it is not idempotent)."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=request_timeout_ms,
        logger=FASTSTREAM_LOGGER,
    )


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time; nothing may be reported as done."""


class RecentlyPublished:
    """The events this process published lately, by the bytes it sent, so that its own consumer takes
    them back without parsing them again (the same bytes are the same event; parsing a submission
    cost 55 µs, issue 16). Only the last `kept` are remembered: an event consumed by another
    instance of the group is simply forgotten."""

    def __init__(self, kept: int = 2_000) -> None:
        self._events: OrderedDict[bytes, Envelope] = OrderedDict()
        self._kept = kept

    def remember(self, value: bytes, event: Envelope) -> None:
        self._events[value] = event
        if len(self._events) > self._kept:
            self._events.popitem(last=False)

    def recall(self, value: bytes) -> Envelope | None:
        """The event published as `value` here (once), or None: parse it."""
        return self._events.pop(value, None)


class EventPublisher:
    """Publishes contract events with the publishing broker, within `timeout`; what it published is
    `recent` (RecentlyPublished)."""

    def __init__(self, broker: KafkaBroker, bootstrap_servers: str, *, timeout: float) -> None:
        self._broker = broker
        self._bootstrap = bootstrap_servers
        self._timeout = timeout
        self._partitions: dict[str, list[int]] = {}
        self.recent = RecentlyPublished()

    async def publish(self, topic: str, key: str, events: Sequence[Envelope]) -> None:
        """Publish `events` in order under `key`; return only once the broker acknowledged all of them.
        Raises BrokerUnavailable otherwise."""
        raw_key = key.encode()
        values = [event.to_bytes() for event in events]
        for value, event in zip(values, events, strict=True):  # before: the consumer may see them first
            self.recent.remember(value, event)
        try:
            async with asyncio.timeout(self._timeout):
                if len(events) == 1:
                    await publish_event(self._broker, events[0], topic=topic, key=raw_key, value=values[0])
                    return
                partition = await self._partition_for(topic, raw_key)
                await publish_batch(self._broker, events, topic=topic, key=raw_key, partition=partition, values=values)
        except (KafkaError, TimeoutError, OSError) as exc:
            log.warning("publishing to %s failed: %r", topic, exc)
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc

    async def _partition_for(self, topic: str, raw_key: bytes) -> int:
        """The partition `broker.publish(key=raw_key)` would choose (murmur2 over all partitions)."""
        if topic not in self._partitions:
            self._partitions[topic] = await self._describe_partitions(topic)
        partitions = self._partitions[topic]
        return int(DefaultPartitioner()(raw_key, partitions, partitions))

    async def _describe_partitions(self, topic: str) -> list[int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=5_000)
        await admin.start()
        try:
            described = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = sorted(p["partition"] for p in described[0]["partitions"])
        if not partitions:
            raise BrokerUnavailable(f"topic {topic} has no partitions (does it exist?)")
        return partitions
