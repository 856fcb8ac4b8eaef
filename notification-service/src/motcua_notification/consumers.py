"""Notification's consumers, in one table: which topic feeds which handler of the notifier.

- catalog.events, one event at a time (few events) with the shared consumer, into agency names;
- dossier.events in batches (`subscribe_event_batches`): the notifier folds each batch with one
  read of what it needs and one insert of its deliveries (service_layer/notifier.py), in order per
  dossier (a partition's order). The batch is acknowledged only once its deliveries are recorded in
  the store (sending happens afterwards, from the store); on an error nothing is acknowledged and the
  batch comes again, where it finds its deliveries already recorded.

Malformed events go to `<topic>.dlq` with the reason (the shared consumers); so does an event the
notifier could not decide on (the same failure every time), with the error as the reason, and the
rest of its batch goes on."""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, publish_dead_letter, subscribe_event_batches, subscribe_table

from .config import Settings
from .service_layer.notifier import Notifier

Batch = dict[int, list[tuple[int, Any]]]  # partition -> [(offset, event or None if dead-lettered)]


async def on_catalogue_event(notifier: Notifier, event: ev.Envelope) -> None:
    await notifier.on_catalog_event(event)


SUBSCRIPTIONS: list[Consumes[Notifier]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, on_catalogue_event),
]


def in_order(batch: Batch) -> tuple[list[ev.DossierEvent], dict[str, tuple[int, int]]]:
    """The batch's events, each partition's in offset order, and where each came from (by event id)."""
    events: list[ev.DossierEvent] = []
    origin: dict[str, tuple[int, int]] = {}
    for partition, records in batch.items():
        for offset, event in records:
            if event is not None:
                events.append(event)
                origin[str(event.event_id)] = (partition, offset)
    return events, origin


async def dead_letter(
    broker: KafkaBroker, topic: str, group_id: str, poisoned: Sequence[tuple[ev.DossierEvent, Exception]], origin: Any
) -> None:
    for event, error in poisoned:
        partition, offset = origin[str(event.event_id)]
        record = SimpleNamespace(
            value=event.to_bytes(), key=event.dossier_id.encode(), partition=partition, offset=offset
        )
        await publish_dead_letter(
            broker,
            record,
            topic=topic,
            consumer=group_id,
            field="$",
            reason=f"notification could not decide what it calls for: {type(error).__name__}: {error}",
        )


def register_consumers(
    broker: KafkaBroker, notifier: Notifier, settings: Settings, *, retry_pause: float = 1.0
) -> None:
    """Subscribe the catalogue's handler with the shared consumer and the dossier events' batches with
    the shared batch consumer (both acknowledge once the store has what they recorded)."""
    group_id = settings.consumer_group
    topic = settings.topics.dossier_events
    subscribe_table(broker, SUBSCRIPTIONS, notifier, settings.topics, group_id=group_id)

    async def handle(batch: Batch) -> None:
        events, origin = in_order(batch)
        folded = await notifier.on_dossier_events(events)
        await dead_letter(broker, topic, group_id, folded.poisoned, origin)

    subscribe_event_batches(
        broker,
        topic,
        group_id=group_id,
        expect=ev.DOSSIER_EVENT_TYPES,
        handle_batch=handle,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        retry_pause=retry_pause,
    )
