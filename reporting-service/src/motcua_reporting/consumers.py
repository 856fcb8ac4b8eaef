"""Reporting's consumers, in one table: which topic feeds which read model.

Both fold into the *active* generation of the read models (see adapters/read_models.py), looked up
at most every `generation_ttl` seconds, so that a rebuild can switch generations under a running service.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import subscribe_events
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase

from .adapters.catalogue_store import CatalogueStore
from .adapters.dossier_store import DossierProjection
from .adapters.read_models import ReadModels, active_generation


@dataclass
class Projections:
    """The folds of one generation of read models."""

    models: ReadModels
    dossiers: DossierProjection
    catalogue: CatalogueStore

    @classmethod
    def of(cls, models: ReadModels) -> "Projections":
        return cls(models, DossierProjection(models), CatalogueStore(models))


async def fold_dossier_event(projections: Projections, event: ev.DossierEvent) -> None:
    """One dossier event into the dossier document and the counters, exactly once (by event id)."""
    await projections.dossiers.apply(event)


async def fold_catalogue_event(projections: Projections, event: ev.Envelope) -> None:
    """One catalogue event into agencies/procedures (latest by business time)."""
    procedure = await projections.catalogue.apply(event)
    if procedure is not None:
        await projections.dossiers.label_procedure(procedure)


@dataclass(frozen=True)
class Subscription:
    topic: Callable[[Topics], str]
    expect: tuple[type[ev.Envelope], ...]
    handler: Callable[[Projections, Any], Awaitable[None]]


SUBSCRIPTIONS: list[Subscription] = [
    Subscription(lambda t: t.catalog_events, ev.CATALOG_EVENT_TYPES, fold_catalogue_event),
    Subscription(lambda t: t.dossier_events, ev.DOSSIER_EVENT_TYPES, fold_dossier_event),
]


class ActiveProjections:
    """The projections of the active generation, re-checked at most every `ttl` seconds."""

    def __init__(self, db: AsyncDatabase[Any], *, ttl: float = 1.0) -> None:
        self._db = db
        self._ttl = ttl
        self._current: Projections | None = None
        self._checked = 0.0

    async def get(self) -> Projections:
        now = time.monotonic()
        if self._current is None or now - self._checked > self._ttl:
            generation = await active_generation(self._db)
            if self._current is None or self._current.models.generation != generation:
                models = ReadModels(self._db, generation)
                await models.ensure_indexes()
                self._current = Projections.of(models)
            self._checked = now
        return self._current


def register_consumers(broker: KafkaBroker, active: ActiveProjections, topics: Topics, *, group_id: str) -> None:
    """Subscribe every handler of SUBSCRIPTIONS with the shared consumer (ack after the fold)."""
    for subscription in SUBSCRIPTIONS:
        async def handle(event: Any, handler: Callable[[Projections, Any], Awaitable[None]] = subscription.handler
                         ) -> None:
            await handler(await active.get(), event)

        subscribe_events(broker, subscription.topic(topics), group_id=group_id,
                         expect=subscription.expect, handle=handle)
