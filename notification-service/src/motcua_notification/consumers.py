"""Notification's consumers, in one table: which topic feeds which handler of the notifier.

Both use the shared consumer: malformed events go to `<topic>.dlq` with the reason; an event is
acknowledged once its deliveries are recorded in the store (sending happens afterwards, from the
store), and a redelivered event finds them already there."""

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import Consumes, subscribe_table
from motcua_shared.topics import Topics

from .service_layer.notifier import Notifier


async def on_dossier_event(notifier: Notifier, event: ev.DossierEvent) -> None:
    await notifier.on_dossier_event(event)


async def on_catalogue_event(notifier: Notifier, event: ev.Envelope) -> None:
    await notifier.on_catalog_event(event)


SUBSCRIPTIONS: list[Consumes[Notifier]] = [
    Consumes(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, on_catalogue_event),
    Consumes(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, on_dossier_event),
]


def register_consumers(broker: KafkaBroker, notifier: Notifier, topics: Topics, *, group_id: str) -> None:
    """Subscribe every handler of SUBSCRIPTIONS with the shared consumer (ack once deliveries are recorded)."""
    subscribe_table(broker, SUBSCRIPTIONS, notifier, topics, group_id=group_id)
