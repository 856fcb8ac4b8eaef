"""Intake's consumers, in one table: which topic feeds which of intake's views.

- catalog.events one event at a time (few events) with the shared consumer;
- dossier.events in batches (`subscribe_event_batches`, acknowledged after the batch is folded): one
  read by _id of each known dossier the batch touches (none for a dossier whose events begin with its
  submission: the ones intake's API receives, whose view only this fold writes), one bulk write of what
  changed (adapters/dossier_store.py, DossierStore.fold_batch); an event that cannot be folded goes to
  dossier.events.dlq with the reason."""

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, publish_dead_letter, subscribe_event_batches, subscribe_table

from .domain.phones import phone_hash
from .service_layer.unit import Intake


async def fold_catalogue_event(intake: Intake, event: ev.Envelope) -> None:
    """Keep intake's copy of the catalogue, whoever published the change (intake, integrators)."""
    await intake.catalogue.apply(event)


def _phone_hash(intake: Intake, event: ev.DossierEvent) -> str | None:
    if isinstance(event, ev.DossierSubmitted) and event.data.applicant.phone:
        return phone_hash(event.data.applicant.phone, intake.phone_hash_key)
    return None


async def fold_dossier_records(
    intake: Intake, by_partition: dict[int, list[tuple[int, Any]]]
) -> list[tuple[ev.DossierEvent, Exception, int, int]]:
    """Fold the batch's events (records that failed validation were dead-lettered already), each
    partition in its order; the events that cannot be folded, with why, partition and offset."""
    origin: dict[str, tuple[int, int]] = {}
    events: list[ev.DossierEvent] = []
    for partition, records in by_partition.items():
        for offset, event in records:
            if event is not None:
                events.append(event)
                origin[str(event.event_id)] = (partition, offset)
    poisoned = await intake.dossiers.fold_batch([(event, _phone_hash(intake, event)) for event in events])
    return [(event, error, *origin[str(event.event_id)]) for event, error in poisoned]


SUBSCRIPTIONS: list[Consumes[Intake]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, fold_catalogue_event),
]
BATCH_MAX_RECORDS = 500
BATCH_TIMEOUT_MS = 100
# A batch smaller than this waits a moment before it is folded, so that the next one gathers what
# arrives meanwhile: at a high submission rate one bulk insert (and one offset commit) then serves
# several new dossiers instead of one or two; intake's view is that much later (tracking and the
# applicant's actions wait for it: applicant_actions.folded_dossier).
LINGER_BELOW_RECORDS = 50
LINGER_SECONDS = 0.05


def register_consumers(
    broker: KafkaBroker,
    intake: Intake,
    *,
    group_id: str,
    recall: Callable[[bytes], ev.Envelope | None] | None = None,
) -> None:
    """Subscribe SUBSCRIPTIONS with the shared consumer, and dossier.events in batches (both
    acknowledged after the fold); `recall` gives back what intake published itself (its submissions),
    not parsed again."""
    subscribe_table(broker, SUBSCRIPTIONS, intake, intake.topics, group_id=group_id)

    async def handle(by_partition: dict[int, list[tuple[int, Any]]]) -> None:
        if sum(len(records) for records in by_partition.values()) < LINGER_BELOW_RECORDS:
            await asyncio.sleep(LINGER_SECONDS)
        for event, error, partition, offset in await fold_dossier_records(intake, by_partition):
            record = SimpleNamespace(
                value=event.to_bytes(), key=event.dossier_id.encode(), partition=partition, offset=offset
            )
            await publish_dead_letter(
                broker,
                record,
                topic=intake.topics.dossier_events,
                consumer=group_id,
                field="$",
                reason=f"intake could not fold it into its view: {type(error).__name__}: {error}",
            )

    subscribe_event_batches(
        broker,
        intake.topics.dossier_events,
        group_id=group_id,
        expect=ev.DOSSIER_EVENT_TYPES,
        handle_batch=handle,
        max_records=BATCH_MAX_RECORDS,
        batch_timeout_ms=BATCH_TIMEOUT_MS,
        recall=recall,
    )
