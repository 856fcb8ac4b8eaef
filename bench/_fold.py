"""What the fold-rate benchmarks (intake, processing, notification) share: a count of the store
commands every client of the process sends, and how much a consumer group has left to commit."""

from collections import Counter

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import monitoring


class CommandCount(monitoring.CommandListener):
    """The store commands every client of this process sends, by name."""

    def __init__(self) -> None:
        self.by_name: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.by_name[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def left_to_fold(admin: AIOKafkaAdminClient, ends: dict[TopicPartition, int], group: str) -> int:
    """Records of `ends` (partition -> end offset) that `group` has not committed yet."""
    committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
    return sum(max(end - max(committed[tp].offset, 0) if tp in committed else end, 0) for tp, end in ends.items())
