"""The catalogue a submission is checked against, held in memory (issue 16): the shared
CatalogueStore stays the record (folded from `catalog.events`), and intake reads the whole of it
(agencies, procedures, supersessions: a few hundred documents) in one go instead of three store reads
per submission.

The copy is dropped whenever this instance folds a catalogue event (its consumer, or its own API's
read-your-writes fold), so what one instance saw published it checks at once. Another instance's
consumer folds the partitions of `catalog.events` this one does not own: such a change is seen here
within `max_age` seconds. A copy past half that age is taken again in the background while requests go
on with it, so that no request waits for the reload (all of them did, every `max_age`, which was a
latency spike at high rates); only a copy past `max_age`, a new day, or a fold here is waited for."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, CatalogueStore, Procedure, Succession, province_today, responsible_agency

DEFAULT_MAX_AGE_SECONDS = 2.0

log = logging.getLogger(__name__)


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
        self._refreshing: asyncio.Task[_Snapshot] | None = None

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

    def _fresh(self, snapshot: _Snapshot | None, within: float) -> bool:
        return (
            snapshot is not None
            and snapshot.generation == self._generation
            and snapshot.day == self._today()
            and time.monotonic() - snapshot.taken_at < within
        )

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._fresh(snapshot, self._max_age):
            if not self._fresh(snapshot, self._max_age / 2):
                self._refresh_in_background()
            return snapshot
        return await self._load(self._max_age)

    def _refresh_in_background(self) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._load(self._max_age / 2))
            self._refreshing.add_done_callback(_report_failure)

    async def _load(self, unless_younger_than: float) -> _Snapshot:
        async with self._loading:  # concurrent requests share one load
            if not self._fresh(self._snapshot, unless_younger_than):
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


def _report_failure(task: asyncio.Task[_Snapshot]) -> None:
    """A background reload that failed (the store away): the copy ages on, and a request past
    `max_age` loads it itself and gets the error."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not take the catalogue again: %r", task.exception())
