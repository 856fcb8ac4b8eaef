"""Reporting's consumers, in one table: which topic feeds which fold (service_layer/folds.py).

- catalog.events, one event at a time (few events) with the shared consumer, into agencies/procedures;
- dossier.events in batches (FastStream `batch=True`): each batch is split by partition and each
  partition's records are folded as one claim (adapters/dossier_store.py), with bulk writes. The batch
  is acknowledged (offsets committed) only after every partition's claim is done; on an error nothing
  is committed and the batch is delivered again, which the claims make harmless.

Both fold into the active generation of the read models (ActiveProjections).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, subscribe_event_batches, subscribe_table
from motcua_shared.topics import Topics

from .adapters.dossier_store import Record
from .config import Settings
from .service_layer.folds import ActiveProjections, fold_catalogue_event, fold_dossier_records


@dataclass(frozen=True)
class ConsumesBatches:
    """A row of the table whose events come in batches, by partition (`subscribe_event_batches`)."""

    topic: Callable[[Topics], str]
    expect: tuple[type[ev.Envelope], ...]
    handler: Callable[[ActiveProjections, dict[int, list[Record]]], Awaitable[None]]


async def on_catalogue_event(active: ActiveProjections, event: Any) -> None:
    await fold_catalogue_event(await active.get(), event)


async def on_dossier_records(active: ActiveProjections, by_partition: dict[int, list[Record]]) -> None:
    await fold_dossier_records(await active.get(), by_partition)


SUBSCRIPTIONS: list[Consumes[ActiveProjections]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, on_catalogue_event),
]
BATCH_SUBSCRIPTIONS: list[ConsumesBatches] = [
    ConsumesBatches(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, on_dossier_records),
]


def register_consumers(
    broker: KafkaBroker, active: ActiveProjections, topics: Topics, settings: Settings, *, retry_pause: float = 1.0
) -> None:
    """Subscribe every row of both tables with the shared consumers (ack after the fold)."""
    group_id = settings.consumer_group
    subscribe_table(broker, SUBSCRIPTIONS, active, topics, group_id=group_id)
    for row in BATCH_SUBSCRIPTIONS:

        async def handle(by_partition: dict[int, list[Record]], handler: Any = row.handler) -> None:
            await handler(active, by_partition)

        subscribe_event_batches(
            broker,
            row.topic(topics),
            group_id=group_id,
            expect=row.expect,
            handle_batch=handle,
            max_records=settings.batch_max_records,
            batch_timeout_ms=settings.batch_timeout_ms,
            retry_pause=retry_pause,
        )
