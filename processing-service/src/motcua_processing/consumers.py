"""Processing's consumers, in one table: which topic feeds which of processing's stores.

Both use the shared consumer: malformed events go to `<topic>.dlq` with the reason, and an event is
acknowledged only after it was folded (a failure means redelivery, which the fold applies once)."""

import logging

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, subscribe_table

from .service_layer.succession import hand_over
from .service_layer.unit import Processing

log = logging.getLogger(__name__)


async def fold_dossier_event(processing: Processing, event: ev.DossierEvent) -> None:
    """Any producer's dossier event into processing's dossier; one that breaks the lifecycle is kept
    as an anomaly on the dossier and reported in the log."""
    after, changed = await processing.dossiers.apply(event)
    if changed and after.anomalies and after.anomalies[-1].event_id == str(event.event_id):
        anomaly = after.anomalies[-1]
        log.warning(
            "dossier %s: anomaly: %s",
            after.code or after.dossier_id,
            anomaly.reason,
            extra={"event_id": anomaly.event_id, "event_type": anomaly.event_type, "dossier_id": after.dossier_id},
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
    Consumes(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, fold_dossier_event),
]


def register_consumers(broker: KafkaBroker, processing: Processing, *, group_id: str) -> None:
    """Subscribe every handler of SUBSCRIPTIONS with the shared consumer (ack after the fold)."""
    subscribe_table(broker, SUBSCRIPTIONS, processing, processing.topics, group_id=group_id)
