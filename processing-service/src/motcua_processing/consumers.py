"""Processing's consumers, in one table: which topic feeds which of processing's stores.

- catalog.events one event at a time (few events), with the shared consumer;
- dossier.events in batches (`subscribe_event_batches`, as reporting does): each batch folded into
  the dossiers with one bulk read and bulk writes (DossierStore.apply_many), in order per dossier.

Malformed events go to `<topic>.dlq` with the reason, and a batch is acknowledged only after it was
folded (a failure means the whole batch again, which the fold applies once by event id)."""

import logging
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, subscribe_event_batches, subscribe_table

from .domain.dossier import Anomaly, Dossier
from .service_layer.succession import hand_over
from .service_layer.unit import Processing

log = logging.getLogger(__name__)


async def fold_dossier_records(processing: Processing, by_partition: dict[int, list[tuple[int, Any]]]) -> None:
    """A batch of any producer's dossier events (each partition's in order; None where a record was
    dead-lettered) folded at once. An event that breaks the lifecycle is kept as an anomaly on the
    dossier and reported in the log."""
    events = [event for records in by_partition.values() for _, event in records if event is not None]
    for folded in await processing.dossiers.apply_many(events):
        applied = set(folded.applied)
        for anomaly in folded.dossier.anomalies:
            if anomaly.event_id in applied:
                _report_anomaly(folded.dossier, anomaly)


def _report_anomaly(dossier: Dossier, anomaly: Anomaly) -> None:
    log.warning(
        "dossier %s: anomaly: %s",
        dossier.code or dossier.dossier_id,
        anomaly.reason,
        extra={"event_id": anomaly.event_id, "event_type": anomaly.event_type, "dossier_id": dossier.dossier_id},
    )


async def fold_catalogue_event(processing: Processing, event: ev.Envelope) -> None:
    """Procedures' processing times (for due times) and agencies (for transfers); a dissolved agency's
    open dossiers handed over to its successor (service_layer/succession.py)."""
    await processing.catalogue.apply(event)
    if isinstance(event, ev.AgencySuperseded) and processing.claims is not None:
        succession = (await processing.catalogue.successions()).get(event.data.agency_code)
        if succession is not None:
            await hand_over(processing, processing.claims, succession)


SUBSCRIPTIONS: list[Consumes[Processing]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, fold_catalogue_event),
]
BATCH_SUBSCRIPTIONS: list[Consumes[Processing]] = [
    Consumes(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, fold_dossier_records),
]


def register_consumers(
    broker: KafkaBroker, processing: Processing, *, group_id: str, batch_max_records: int, batch_timeout_ms: int
) -> None:
    """Subscribe every handler of both tables with the shared consumers (ack after the fold)."""
    subscribe_table(broker, SUBSCRIPTIONS, processing, processing.topics, group_id=group_id)
    for row in BATCH_SUBSCRIPTIONS:

        async def handle(by_partition: dict[int, list[tuple[int, Any]]], handler: Any = row.handler) -> None:
            await handler(processing, by_partition)

        subscribe_event_batches(
            broker,
            row.topic(processing.topics),
            group_id=group_id,
            expect=row.expect,
            handle_batch=handle,
            max_records=batch_max_records,
            batch_timeout_ms=batch_timeout_ms,
        )
