"""Publishing processing's events on `dossier.events`, keyed by dossier id.

Like intake, processing publishes with a producer that is NOT idempotent but gives up on a batch
after `request_timeout_ms`: aiokafka's idempotent producer retries a batch until the broker
returns, so an action answered 503 during an outage could still be published minutes later, after
the officer was told it failed and acted again. A duplicate from a lost acknowledgement carries the
same event_id, which every consumer applies once."""

import asyncio
import logging

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from motcua_shared.events import DossierEvent
from motcua_shared.kafka import FASTSTREAM_LOGGER, publish_event

log = logging.getLogger(__name__)


def make_publishing_broker(bootstrap_servers: str, *, client_id: str, request_timeout_ms: int) -> KafkaBroker:
    return KafkaBroker(bootstrap_servers, client_id=client_id, acks="all", enable_idempotence=False,
                       request_timeout_ms=request_timeout_ms, logger=FASTSTREAM_LOGGER)


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time; nothing may be reported as done."""


class EventPublisher:
    def __init__(self, broker: KafkaBroker, topic: str, *, timeout: float) -> None:
        self._broker = broker
        self._topic = topic
        self._timeout = timeout

    async def publish(self, event: DossierEvent) -> None:
        """Return once the broker acknowledged `event`; raise BrokerUnavailable otherwise."""
        try:
            async with asyncio.timeout(self._timeout):
                await publish_event(self._broker, event, topic=self._topic, key=event.dossier_id)
        except (KafkaError, TimeoutError, OSError) as exc:
            log.warning("publishing %s to %s failed: %r", event.event_type, self._topic, exc)
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
