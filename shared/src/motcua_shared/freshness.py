"""How current a view folded from a topic is, and waiting until it is current.

A service folds `dossier.events` into its store with its consumer group, which commits a partition's
offset after each record it handled (consuming.py: acknowledged after the handler), so the group's
committed offset on a partition says how far the service's views have folded it. Committed offsets
rather than this instance's own position: the instances of a service share the group and the store,
and another instance may own the partition.

- `wait_folded`: read the end offset of a dossier's partition now, then wait (within a bound) until
  the group has committed up to it: a decision taken from the view afterwards sees every event
  published before the request arrived, from any producer.
- `lag`: records the group has still to fold on every partition of its topics (for `/ready`).
- `AsOf`: what an answer served from such a view says about how current it is.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

# A topic's partitions are read again after this long (partitions may be added while a service runs).
PARTITIONS_TTL_SECONDS = 300.0
# A wait gives up on the broker after this many polls of the group's offsets failed in a row.
FAILED_POLLS_IN_A_ROW = 3


class AsOf(BaseModel):
    """How current an answer served from a view folded from `dossier.events` is."""

    last_event_at: datetime | None = Field(
        default=None,
        description="when the last event folded into this dossier's view happened (its "
        "`occurred_at`, business time); null for a view written before it was kept",
    )
    consumer_lag: int | None = Field(
        default=None,
        description="events on the dossier's partition, published before this answer, that the "
        "service's consumer group had not yet folded: 0 means the view is current; null: not measured (the "
        "broker did not answer)",
    )


def partition_for(key: str, partitions: Sequence[int]) -> int:
    """The partition a producer's default partitioner (murmur2 over all partitions, as Kafka's Java
    client) puts a record keyed `key` on: where every motcua producer puts a dossier's events."""
    ordered = sorted(partitions)
    return int(DefaultPartitioner()(key.encode(), ordered, ordered))


def remaining(
    ends: dict[TopicPartition, int], committed: dict[TopicPartition, int], beginnings: dict[TopicPartition, int]
) -> int:
    """Records between the group's committed offset and `ends`, summed over `ends`' partitions. A
    partition the group never committed on is read from its beginning (auto_offset_reset=earliest)."""
    total = 0
    for tp, end in ends.items():
        done = committed.get(tp, -1)
        start = beginnings.get(tp, 0)
        total += max(end - max(done, start), 0)
    return total


class ViewFreshness:
    """How far consumer group `group_id` has folded `topics`, measured on the broker. One admin client
    and one consumer (in no group: it only reads end offsets) for the process; `start` and `close`
    from the service's lifespan."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        *,
        poll_interval: float = 0.05,
        measure_timeout: float = 1.0,
    ) -> None:
        self.group_id = group_id
        self.topics = tuple(topics)
        self._bootstrap = bootstrap_servers
        self._poll_interval = poll_interval
        self._measure_timeout = measure_timeout
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._coordinator: int | None = None
        self._partitions: dict[str, tuple[float, list[int]]] = {}
        # One committed-offsets request in flight at a time, shared by every waiter.
        self._committed_now: asyncio.Future[dict[TopicPartition, int]] | None = None

    async def start(self) -> None:
        timeout_ms = int(self._measure_timeout * 1000) + 1000
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, request_timeout_ms=timeout_ms, client_id=f"{self.group_id}-freshness"
        )
        await self._admin.start()
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=timeout_ms,
            client_id=f"{self.group_id}-freshness",
        )
        await self._offsets.start()

    async def close(self) -> None:
        if self._offsets is not None:
            await self._offsets.stop()
        if self._admin is not None:
            await self._admin.close()

    async def wait_folded(self, topic: str, *, key: str | None, within: float) -> int | None:
        """Wait at most `within` seconds until the group has folded every record published on `topic`
        before this call, on the partition of `key` (on every partition when `key` is None: for a
        dossier the view does not know yet). Returns the records still to fold then (0: the view is
        current), or None when the broker did not answer (the view's freshness is unknown)."""
        assert topic in self.topics, f"{self.group_id} does not consume {topic}"
        deadline = time.monotonic() + within
        try:
            async with asyncio.timeout(self._measure_timeout):
                partitions = await self.partitions(topic)
                if key is not None:
                    partitions = [partition_for(key, partitions)]
                tps = [TopicPartition(topic, p) for p in partitions]
                ends = await self._end_offsets(tps)
            failed = 0
            while True:
                try:
                    async with asyncio.timeout(self._measure_timeout):
                        behind: int | None = await self._remaining(ends)
                    failed = 0
                except (KafkaError, OSError, TimeoutError):
                    # The group's offsets do not come while it rebalances (a consumer joined or left):
                    # ask again while the bound allows, and give up only after several in a row.
                    failed += 1
                    if failed >= FAILED_POLLS_IN_A_ROW or time.monotonic() >= deadline:
                        raise
                    behind = None
                if behind == 0 or (behind is not None and time.monotonic() >= deadline):
                    return behind
                await asyncio.sleep(min(self._poll_interval, max(deadline - time.monotonic(), 0)))
        except (KafkaError, OSError, TimeoutError) as error:
            log.warning("could not tell how far %s folded %s: %r", self.group_id, topic, error)
            return None

    async def lag(self) -> int:
        """Records the group has still to fold on every partition of its topics (raises when the broker
        does not answer)."""
        tps = [TopicPartition(topic, p) for topic in self.topics for p in await self.partitions(topic)]
        return await self._remaining(await self._end_offsets(tps))

    async def partitions(self, topic: str) -> list[int]:
        """The partition numbers of `topic`, sorted (kept for a few minutes)."""
        cached = self._partitions.get(topic)
        if cached is not None and time.monotonic() - cached[0] < PARTITIONS_TTL_SECONDS:
            return cached[1]
        found = await self._describe_partitions(topic)
        if not found:
            raise KafkaError(f"topic {topic} has no partitions (does it exist?)")
        self._partitions[topic] = (time.monotonic(), found)
        return found

    async def _remaining(self, ends: dict[TopicPartition, int]) -> int:
        committed = await self._shared_committed()
        never = [tp for tp in ends if committed.get(tp, -1) < 0]
        beginnings = await self._beginning_offsets(never) if never else {}
        return remaining(ends, committed, beginnings)

    async def _shared_committed(self) -> dict[TopicPartition, int]:
        """The group's committed offsets on its topics. A caller arriving while a request is in flight
        shares its answer: committed offsets only grow, so an answer a little old errs on the side
        of waiting one more poll, never of a view declared current too early."""
        if self._committed_now is None or self._committed_now.done():
            self._committed_now = asyncio.ensure_future(self._committed_offsets())
            # Its failure is read by whoever awaits it; none may be left if they all timed out.
            self._committed_now.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(self._committed_now)

    # --- the broker (overridden by the unit tests) ---------------------------------------------------

    async def _describe_partitions(self, topic: str) -> list[int]:
        assert self._admin is not None, "ViewFreshness.start() first"
        described = await self._admin.describe_topics([topic])
        return sorted(p["partition"] for p in described[0]["partitions"]) if described else []

    async def _end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        assert self._offsets is not None, "ViewFreshness.start() first"
        ends: dict[TopicPartition, int] = await self._offsets.end_offsets(tps)
        return ends

    async def _beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        assert self._offsets is not None, "ViewFreshness.start() first"
        beginnings: dict[TopicPartition, int] = await self._offsets.beginning_offsets(tps)
        return beginnings

    async def _committed_offsets(self) -> dict[TopicPartition, int]:
        assert self._admin is not None, "ViewFreshness.start() first"
        tps = [TopicPartition(topic, p) for topic in self.topics for p in await self.partitions(topic)]
        try:
            if self._coordinator is None:
                self._coordinator = await self._admin.find_coordinator(self.group_id)
            offsets = await self._admin.list_consumer_group_offsets(
                self.group_id, group_coordinator_id=self._coordinator, partitions=tps
            )
        except KafkaError:
            self._coordinator = None  # it may have moved: look it up again next time
            raise
        return {tp: meta.offset for tp, meta in offsets.items()}
