"""Topics of one test (or one module) alone, and what a topic holds, read to its end.

Reading to the end offsets taken when the read starts, rather than for a while longer, is how a test
that has stopped producing (its services stopped, or their answers received: a publish is
acknowledged before an answer) sees every record that is there, a duplicate included, without
waiting out a fixed time."""

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from motcua_shared import events as ev
from motcua_shared.topics import Topics


async def create_topics(bootstrap: str, prefix: str) -> Topics:
    """The contract's topics under `prefix`, created on the broker (3 partitions each)."""
    topics = Topics(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1) for name in topics.all()])
    finally:
        await admin.close()
    return topics


async def records_to_end(bootstrap: str, topic: str) -> list[tuple[str | None, bytes]]:
    """Every record of `topic` (key, value) from the beginning to its end as it stands now."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    await consumer.start()  # without a group: every partition of the topic, assigned before it returns
    try:
        partitions = sorted(consumer.assignment())
        assert partitions, f"{topic} has no partitions"
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[str | None, bytes]] = []
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for tp, records in (await consumer.getmany(*partitions, timeout_ms=300)).items():
                found += [(r.key.decode() if r.key else None, r.value) for r in records if r.offset < ends[tp]]
        return found
    finally:
        await consumer.stop()


async def dossier_log(bootstrap: str, topics: Topics, dossier_id: str) -> list[ev.DossierEvent]:
    """The events on dossier.events keyed by `dossier_id`, in order, parsed with the shared schemas."""
    return [
        ev.parse_event(value, expect=ev.DOSSIER_EVENT_TYPES)
        for key, value in await records_to_end(bootstrap, topics.dossier_events)
        if key == dossier_id
    ]
