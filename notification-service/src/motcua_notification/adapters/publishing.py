"""Publishing notification outcomes on `notification.events`, keyed by notification id."""

import asyncio

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker
from motcua_shared.kafka import publish_record


class BrokerUnavailable(Exception):
    pass


class KafkaOutcomePublisher:
    def __init__(self, broker: KafkaBroker, topic: str, *, timeout: float = 10.0) -> None:
        self._broker, self._topic, self._timeout = broker, topic, timeout

    async def publish(self, *, key: str, value: bytes) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await publish_record(self._broker, value, topic=self._topic, key=key.encode(), headers={})
        except (KafkaError, TimeoutError, OSError) as exc:
            raise BrokerUnavailable(str(exc) or type(exc).__name__) from exc
