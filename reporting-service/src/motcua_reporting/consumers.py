"""Reporting's consumers: which topic feeds which read model.

- catalog.events, one event at a time (few events) with the shared consumer, into agencies/procedures;
- dossier.events in batches (FastStream `batch=True`): each batch is split by partition and each
  partition's records are folded as one claim (adapters/dossier_store.py), with bulk writes. The batch
  is acknowledged (offsets committed) only after every partition's claim is done; on an error nothing
  is committed and the batch is delivered again, which the claims make harmless.

Both fold into the *active* generation of the read models (see adapters/read_models.py), looked up
at most every `generation_ttl` seconds, so that a rebuild can switch generations under a running service.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.consuming import subscribe_event_batches, subscribe_events
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase

from .adapters.catalogue_store import CatalogueStore
from .adapters.dossier_store import DossierProjection, Record
from .adapters.read_models import ReadModels, active_generation
from .config import Settings

log = logging.getLogger(__name__)


@dataclass
class Projections:
    """The folds of one generation of read models."""

    models: ReadModels
    dossiers: DossierProjection
    catalogue: CatalogueStore

    @classmethod
    def of(cls, models: ReadModels, settings: Settings | None = None) -> "Projections":
        options: dict[str, Any] = {}
        if settings is not None:
            options = {"takeover_after": settings.claim_takeover_seconds,
                       "handover_wait": settings.handover_wait_seconds}
        return cls(models, DossierProjection(models, **options), CatalogueStore(models))


def stream_of(partition: int) -> str:
    """The claim stream (and counter documents) of a partition of dossier.events."""
    return f"p{partition}"


async def fold_dossier_records(projections: Projections, by_partition: dict[int, list[Record]]) -> int:
    """Records of dossier.events, by partition, into the dossier documents and the counters, exactly
    once (claims, then event ids); partitions side by side, each in order."""
    folded = await asyncio.gather(*(projections.dossiers.fold(stream_of(p), records)
                                    for p, records in by_partition.items()))
    return sum(folded)


async def fold_dossier_event(projections: Projections, event: ev.DossierEvent) -> None:
    """One dossier event that comes from no partition (tools, tests), exactly once by event id."""
    await projections.dossiers.fold_events([event])


async def fold_catalogue_event(projections: Projections, event: ev.Envelope) -> None:
    """One catalogue event into agencies/procedures (latest by business time)."""
    await projections.catalogue.apply(event)


class ActiveProjections:
    """The projections of the active generation, re-checked at most every `ttl` seconds."""

    def __init__(self, db: AsyncDatabase[Any], settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._ttl = settings.generation_ttl_seconds
        self._current: Projections | None = None
        self._checked = 0.0

    async def get(self) -> Projections:
        now = time.monotonic()
        if self._current is None or now - self._checked > self._ttl:
            generation = await active_generation(self._db)
            if self._current is None or self._current.models.generation != generation:
                models = ReadModels(self._db, generation)
                await models.ensure_indexes()
                self._current = Projections.of(models, self._settings)
            self._checked = now
        return self._current


def register_consumers(broker: KafkaBroker, active: ActiveProjections, topics: Topics, settings: Settings, *,
                       retry_pause: float = 1.0) -> None:
    """Subscribe the catalogue (one by one) and dossier (batched) consumers; ack after the fold."""
    group_id = settings.consumer_group

    async def catalogue(event: Any) -> None:
        await fold_catalogue_event(await active.get(), event)

    subscribe_events(broker, topics.catalog_events, group_id=group_id, expect=ev.CATALOG_EVENT_TYPES,
                     handle=catalogue)

    async def dossiers(by_partition: dict[int, list[Record]]) -> None:
        await fold_dossier_records(await active.get(), by_partition)

    subscribe_event_batches(broker, topics.dossier_events, group_id=group_id, expect=ev.DOSSIER_EVENT_TYPES,
                            handle_batch=dossiers, max_records=settings.batch_max_records,
                            batch_timeout_ms=settings.batch_timeout_ms, retry_pause=retry_pause)
