"""Notification's consumers, in one table: which topic feeds which handler of the notifier.

Both use the shared consumer: malformed events go to `<topic>.dlq` with the reason; an event is
acknowledged once its deliveries are recorded in the store (sending happens afterwards, from the
store), and a redelivered event finds them already there."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import subscribe_events
from motcua_shared.topics import Topics

from .service_layer.notifier import Notifier


async def on_dossier_event(notifier: Notifier, event: ev.DossierEvent) -> None:
    await notifier.on_dossier_event(event)


async def on_catalogue_event(notifier: Notifier, event: ev.Envelope) -> None:
    await notifier.on_catalog_event(event)


@dataclass(frozen=True)
class Subscription:
    topic: Callable[[Topics], str]
    expect: tuple[type[ev.Envelope], ...]
    handler: Callable[[Notifier, Any], Awaitable[None]]


SUBSCRIPTIONS: list[Subscription] = [
    Subscription(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, on_catalogue_event),
    Subscription(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, on_dossier_event),
]


def register_consumers(broker: KafkaBroker, notifier: Notifier, topics: Topics, *, group_id: str) -> None:
    for subscription in SUBSCRIPTIONS:

        async def handle(
            event: Any, handler: Callable[[Notifier, Any], Awaitable[None]] = subscription.handler
        ) -> None:
            await handler(notifier, event)

        subscribe_events(broker, subscription.topic(topics), group_id=group_id, expect=subscription.expect,
                         handle=handle)
