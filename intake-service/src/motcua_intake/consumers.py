"""Intake's consumers, in one table: which topic feeds which of intake's views."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import subscribe_events

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


@dataclass(frozen=True)
class Subscription:
    topic: Callable[[Intake], str]
    expect: tuple[type[ev.Envelope], ...]
    handler: Callable[[Intake, Any], Awaitable[None]]


SUBSCRIPTIONS: list[Subscription] = [
    Subscription(lambda i: i.topics.catalog_events, ev.CATALOG_EVENT_TYPES, fold_catalogue_event),
    Subscription(lambda i: i.topics.dossier_events, ev.DOSSIER_EVENT_TYPES, fold_dossier_event),
]


def register_consumers(broker: KafkaBroker, intake: Intake, *, group_id: str) -> None:
    """Subscribe every handler of SUBSCRIPTIONS with the shared consumer (ack after the fold)."""
    for subscription in SUBSCRIPTIONS:
        handler = subscription.handler

        async def handle(event: Any, handler: Callable[[Intake, Any], Awaitable[None]] = handler) -> None:
            await handler(intake, event)

        subscribe_events(broker, subscription.topic(intake), group_id=group_id,
                         expect=subscription.expect, handle=handle)
