"""Intake's consumers, in one table: which topic feeds which of intake's views."""

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, subscribe_table

from .domain.phones import phone_hash
from .service_layer.unit import Intake


async def fold_catalogue_event(intake: Intake, event: ev.Envelope) -> None:
    """Keep intake's copy of the catalogue, whoever published the change (intake, integrators)."""
    await intake.catalogue.apply(event)


async def fold_dossier_event(intake: Intake, event: ev.DossierEvent) -> None:
    """Keep intake's dossier view (status, appointment, rating) for tracking and applicant actions."""
    hashed = None
    if isinstance(event, ev.DossierSubmitted) and event.data.applicant.phone:
        hashed = phone_hash(event.data.applicant.phone, intake.phone_hash_key)
    await intake.dossiers.apply(event, phone_hash=hashed)


SUBSCRIPTIONS: list[Consumes[Intake]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, fold_catalogue_event),
    Consumes(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, fold_dossier_event),
]


def register_consumers(broker: KafkaBroker, intake: Intake, *, group_id: str) -> None:
    """Subscribe every handler of SUBSCRIPTIONS with the shared consumer (ack after the fold)."""
    subscribe_table(broker, SUBSCRIPTIONS, intake, intake.topics, group_id=group_id)
