"""motcua_shared.freshness without a broker: the partition of a dossier, what is left to fold, waiting
until the consumer group has folded what was published before a request; and `/ready` degraded by a
consumer lag beyond its bound."""

import asyncio

import pytest
from aiokafka import TopicPartition  # type: ignore[import-untyped]
from aiokafka.errors import KafkaConnectionError  # type: ignore[import-untyped]
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]
from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from motcua_shared.freshness import ViewFreshness, partition_for, remaining
from motcua_shared.observability.readiness import add_degradation_check, add_readiness_check, consumer_lag_check

TOPIC = "dossier.events"


class Broker:
    """What a fake broker knows: end and beginning offsets, the group's committed offsets."""

    def __init__(self, partitions: int = 3) -> None:
        self.ends = {TopicPartition(TOPIC, p): 0 for p in range(partitions)}
        self.beginnings = {tp: 0 for tp in self.ends}
        self.committed: dict[TopicPartition, int] = {}
        self.committed_requests = 0
        self.away = False
        self.rebalancing_for = 0  # committed-offset requests still to fail (the group rebalancing)


class FakeFreshness(ViewFreshness):
    def __init__(self, broker: Broker, **options: float) -> None:
        super().__init__("nowhere:9092", "intake-service", [TOPIC], **options)
        self.broker = broker

    async def _describe_partitions(self, topic: str) -> list[int]:
        return sorted(tp.partition for tp in self.broker.ends)

    async def _end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if self.broker.away:
            raise KafkaConnectionError("no broker")
        return {tp: self.broker.ends[tp] for tp in tps}

    async def _beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.broker.beginnings[tp] for tp in tps}

    async def _committed_offsets(self) -> dict[TopicPartition, int]:
        self.broker.committed_requests += 1
        await asyncio.sleep(0.01)
        if self.broker.rebalancing_for:
            self.broker.rebalancing_for -= 1
            raise KafkaConnectionError("the group is rebalancing")
        return {tp: self.broker.committed.get(tp, -1) for tp in self.broker.ends}


def test_a_dossier_is_on_the_partition_the_producers_default_partitioner_chooses() -> None:
    for key in ("3b0c5d9e-0000-4000-8000-000000000001", "a", "dossier-42"):
        assert partition_for(key, [2, 0, 1]) == DefaultPartitioner()(key.encode(), [0, 1, 2], [0, 1, 2])


def test_what_is_left_to_fold_counts_from_the_beginning_where_the_group_never_committed() -> None:
    a, b, c = (TopicPartition(TOPIC, p) for p in range(3))
    ends = {a: 10, b: 7, c: 5}
    assert remaining(ends, {a: 10, b: 3, c: -1}, {c: 2}) == 0 + 4 + 3
    assert remaining(ends, {a: 12, b: 7, c: 5}, {}) == 0  # committed past the end read earlier: current


async def test_wait_folded_returns_0_once_the_group_committed_what_was_published_before_the_call() -> None:
    broker = Broker()
    freshness = FakeFreshness(broker, poll_interval=0.01)
    key = "dossier-42"
    tp = TopicPartition(TOPIC, partition_for(key, [0, 1, 2]))
    broker.ends[tp] = 5
    broker.committed[tp] = 2

    async def the_consumer_folds() -> None:
        await asyncio.sleep(0.1)
        broker.ends[tp] = 9  # published after the call: not waited for
        broker.committed[tp] = 5

    folding = asyncio.create_task(the_consumer_folds())
    assert await freshness.wait_folded(TOPIC, key=key, within=5) == 0
    await folding


async def test_wait_folded_gives_up_after_the_bound_with_what_is_left_and_none_without_a_broker() -> None:
    broker = Broker()
    freshness = FakeFreshness(broker, poll_interval=0.01)
    for tp in broker.ends:
        broker.ends[tp] = 4
    broker.committed[TopicPartition(TOPIC, 0)] = 4
    started = asyncio.get_running_loop().time()
    assert await freshness.wait_folded(TOPIC, key=None, within=0.1) == 8  # every partition: 0 + 4 + 4
    assert asyncio.get_running_loop().time() - started < 1
    broker.away = True
    assert await freshness.wait_folded(TOPIC, key="dossier-42", within=0.1) is None


async def test_wait_folded_asks_again_while_the_group_rebalances_and_gives_up_after_three_failures() -> None:
    broker = Broker()
    freshness = FakeFreshness(broker, poll_interval=0.01)
    broker.rebalancing_for = 2
    assert await freshness.wait_folded(TOPIC, key="dossier-42", within=5) == 0
    broker.rebalancing_for = 10
    assert await freshness.wait_folded(TOPIC, key="dossier-42", within=5) is None
    assert broker.rebalancing_for == 7


async def test_concurrent_waiters_share_one_committed_offsets_request_at_a_time() -> None:
    broker = Broker()
    freshness = FakeFreshness(broker, poll_interval=0.01)
    results = await asyncio.gather(*(freshness.wait_folded(TOPIC, key=f"d{i}", within=0) for i in range(50)))
    assert results == [0] * 50
    assert broker.committed_requests < 5


@pytest.mark.parametrize(("lag", "status"), [(3, "ready"), (1500, "degraded")])
def test_ready_is_degraded_while_the_consumer_lag_is_beyond_its_bound(lag: int, status: str) -> None:
    app = create_app(title="lagging")

    async def answers() -> bool:
        return True

    async def measured() -> int:
        return lag

    add_readiness_check(app, "kafka", answers)
    add_degradation_check(app, "consumer_lag", consumer_lag_check(measured, max_lag=1000, setting="MAX_LAG"))
    response = TestClient(app).get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == status
    if status == "ready":
        assert body["checks"] == {"kafka": "ok"}
    else:
        assert body["checks"]["kafka"] == "ok"
        assert body["checks"]["consumer_lag"].startswith("degraded: 1500 events")
        assert "1000 (MAX_LAG)" in body["checks"]["consumer_lag"]


def test_a_lag_that_cannot_be_measured_is_degraded_not_unready() -> None:
    app = create_app(title="lagging")

    async def broken() -> int:
        raise KafkaConnectionError("no broker")

    add_degradation_check(app, "consumer_lag", consumer_lag_check(broken, max_lag=0, setting="MAX_LAG"))
    response = TestClient(app).get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert "could not tell" in response.json()["checks"]["consumer_lag"]
