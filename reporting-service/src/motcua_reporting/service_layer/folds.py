"""The folds: catalog.events into agencies/procedures, dossier.events (by partition, as claims) into
the dossier documents and the counters, always into the *active* generation of the read models
(adapters/read_models.py), looked up at most every `generation_ttl` seconds, so that a rebuild can
switch generations under a running service."""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from motcua_shared import events as ev
from pymongo.asynchronous.database import AsyncDatabase

from ..adapters.catalogue_store import CatalogueStore
from ..adapters.dossier_store import DossierProjection, Record
from ..adapters.read_models import ReadModels, active_generation
from ..config import Settings

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
            options = {
                "takeover_after": settings.claim_takeover_seconds,
                "handover_wait": settings.handover_wait_seconds,
            }
        return cls(models, DossierProjection(models, **options), CatalogueStore(models))


def stream_of(partition: int) -> str:
    """The claim stream (and counter documents) of a partition of dossier.events."""
    return f"p{partition}"


async def fold_dossier_records(projections: Projections, by_partition: dict[int, list[Record]]) -> int:
    """Records of dossier.events, by partition, into the dossier documents and the counters, exactly
    once (claims, then event ids); partitions side by side, each in order."""
    folded = await asyncio.gather(
        *(projections.dossiers.fold(stream_of(p), records) for p, records in by_partition.items())
    )
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
