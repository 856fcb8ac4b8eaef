"""The catalogue a submission is checked against, held in memory (issue 16): the shared
CatalogueStore stays the record (folded from `catalog.events`), and intake reads the whole of it
(agencies, procedures, supersessions: a few hundred documents) in one go instead of three store reads
per submission.

The copy is dropped whenever this instance folds a catalogue event (its consumer, or its own API's
read-your-writes fold), so what one instance saw published it checks at once. Another instance's
consumer folds the partitions of `catalog.events` this one does not own: such a change is seen here
within `max_age` seconds."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, CatalogueStore, Procedure, Succession, province_today, responsible_agency

DEFAULT_MAX_AGE_SECONDS = 2.0


@dataclass(frozen=True)
class _Snapshot:
    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]
    successions: dict[str, Succession]
    day: date  # procedures are handed over to successors as of this day
    generation: int
    taken_at: float


class CatalogueSnapshot:
    """Intake's Catalogue port: one agency, one procedure and the responsible agency from memory;
    lists and writes go to the store."""

    def __init__(
        self,
        store: CatalogueStore,
        *,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        today: Callable[[], date] = province_today,
    ) -> None:
        self._store = store
        self._max_age = max_age
        self._today = today
        self._snapshot: _Snapshot | None = None
        self._generation = 0  # bumped by every fold: a copy taken before it is stale
        self._loading = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self._store.ensure_indexes()

    async def apply(self, event: ev.Envelope) -> None:
        try:
            await self._store.apply(event)
        finally:
            self._generation += 1

    async def agency(self, code: str) -> Agency | None:
        return (await self._current()).agencies.get(code)

    async def procedure(self, code: str) -> Procedure | None:
        return (await self._current()).procedures.get(code)

    async def responsible(self, code: str, on: date | None = None) -> str:
        snapshot = await self._current()
        return responsible_agency(code, snapshot.successions, on or snapshot.day)

    async def agencies(self) -> list[Agency]:
        return await self._store.agencies()

    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]:
        return await self._store.procedures(agency_code=agency_code, include_retired=include_retired)

    def _fresh(self, snapshot: _Snapshot | None) -> bool:
        return (
            snapshot is not None
            and snapshot.generation == self._generation
            and snapshot.day == self._today()
            and time.monotonic() - snapshot.taken_at < self._max_age
        )

    async def _current(self) -> _Snapshot:
        if self._fresh(self._snapshot):
            assert self._snapshot is not None
            return self._snapshot
        async with self._loading:  # concurrent requests share one load
            if not self._fresh(self._snapshot):
                generation, taken_at, day = self._generation, time.monotonic(), self._today()
                agencies = await self._store.agencies()
                procedures = await self._store.procedures(include_retired=True)
                successions = await self._store.successions()
                self._snapshot = _Snapshot(
                    agencies={a.code: a for a in agencies},
                    procedures={p.code: p for p in procedures},
                    successions=successions,
                    day=day,
                    generation=generation,
                    taken_at=taken_at,
                )
            assert self._snapshot is not None
            return self._snapshot
