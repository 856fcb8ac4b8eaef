"""Quicker Kafka heartbeats for the services the tests start in-process (a pytest plugin, loaded by
tests/conftest.py).

A service's consumers (dossier.events, catalog.events) join one new consumer group one after the
other, and the second's join makes the first rejoin: it learns so on its next heartbeat, 3 s by
default (aiokafka's and FastStream's), and the start waits for both assignments. The suite starts
services a few hundred times, so that wait alone was minutes of it. A shorter interval changes when a
member hears of a rebalance, not whether it happens nor when a silent member is judged dead (the
session timeout), so every rebalance the tests provoke still happens, only sooner."""

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

HEARTBEAT_INTERVAL_MS = 200


@pytest.fixture(scope="session", autouse=True)
def quicker_heartbeats() -> Iterator[None]:
    original = AIOKafkaConsumer.__init__

    @functools.wraps(original)
    def init(self: AIOKafkaConsumer, *topics: str, **options: Any) -> None:
        interval = options.get("heartbeat_interval_ms", HEARTBEAT_INTERVAL_MS)
        options["heartbeat_interval_ms"] = min(interval, HEARTBEAT_INTERVAL_MS)
        original(self, *topics, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AIOKafkaConsumer, "__init__", init)
        yield
