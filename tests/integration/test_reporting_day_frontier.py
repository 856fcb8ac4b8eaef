"""The day documents up to each month's frontier (counter_store.MonthToDate, issue 16): a stream
written that way reads, on every day of the month, what a stream written to the month's end reads --
with changes dated ahead (a due date passing), days skipped, a day before the month's first document,
another month, a claim applied again, and a crash before the frontier was stored -- while a live
claim writes one day document instead of one per day to the month's end."""

from datetime import date, timedelta
from typing import Any

import pytest
from motcua_reporting.adapters.counter_reads import CounterReads
from motcua_reporting.adapters.counter_store import MonthToDate
from motcua_reporting.adapters.counters import Counters
from motcua_reporting.adapters.read_cache import Kept
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.domain.contributions import CounterKey, Kind
from pymongo.asynchronous.database import AsyncDatabase

AGENCY, PROCEDURE = "STNMT", "1.004227"


def received(day: str) -> dict[str, int]:
    """A dossier received on `day`, open within its deadline from then, overdue from `due` + 1."""
    return {CounterKey(Kind.RECEIVED, day, AGENCY, PROCEDURE, "direct").id: 1}


def open_until(day: str, late_from: str) -> dict[str, int]:
    return {
        CounterKey(Kind.OPEN, day, AGENCY, PROCEDURE, "within_deadline").id: 1,
        CounterKey(Kind.OPEN, late_from, AGENCY, PROCEDURE, "within_deadline").id: -1,
        CounterKey(Kind.OPEN, late_from, AGENCY, PROCEDURE, "overdue").id: 1,
    }


def merged(*parts: dict[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    return total


CLAIMS = [  # (start, end, changes): a live day, the same day again, days skipped, earlier days, another month
    (0, 9, merged(received("2025-12-02"), open_until("2025-12-02", "2025-12-24"))),
    (10, 19, merged(received("2025-12-02"), open_until("2025-12-02", "2025-12-20"))),
    (20, 29, open_until("2025-12-03", "2025-12-28")),  # open-state changes only: the frontier stays
    (30, 39, merged(received("2025-12-05"), received("2025-12-01"))),  # past two days, and before the first
    (40, 49, merged(received("2025-11-10"), open_until("2025-11-10", "2025-12-03"))),
    (50, 59, {CounterKey(Kind.OPEN, "2025-12-20", AGENCY, PROCEDURE, "overdue").id: -1}),  # withdrawn late
]


async def figures(models: ReadModels) -> list[tuple[str, int, dict[Any, int]]]:
    """Per day of November and December: received in the month through that day, and open at its end."""
    found = []
    day = date(2025, 11, 1)
    while day <= date(2025, 12, 31):
        reads = CounterReads(Kept(models, None))
        rows = await reads.flows([Kind.RECEIVED], day.replace(day=1), day)
        standing = await reads.standing_at_end_of(day)
        found.append((day.isoformat(), sum(n for _, n in rows), {k: n for k, n in standing.items() if n}))
        day += timedelta(days=1)
    return found


async def legacy(db: AsyncDatabase[Any]) -> ReadModels:
    """A generation whose stream was registered before the frontier: documents to the month's end."""
    models = ReadModels(db, "legacy")
    await models.ensure_indexes()
    await models.streams.insert_one({"_id": "p0"})
    counters = Counters(models)
    for start, end, changes in CLAIMS:
        await counters.apply_claim("p0", start, end, changes)
    return models


async def test_a_stream_written_to_its_frontier_reads_as_one_written_to_the_months_end(
    mongo_db: AsyncDatabase[Any],
) -> None:
    expected = await figures(await legacy(mongo_db))
    assert expected[-1][1] == 4 and sum(expected[-1][2].values()) == 3  # received in December, open at its end

    models = ReadModels(mongo_db, "frontier")
    await models.ensure_indexes()
    counters = Counters(models)
    counters.began("p0", 0)
    written = [await counters.days.apply_claim("p0", s, e, c) for s, e, c in CLAIMS[:1]]
    for start, end, changes in CLAIMS:
        await counters.apply_claim("p0", start, end, changes)  # the first one again: changes nothing
    # A live claim: today's document alone (not 30 to the month's end); up to its changes' last day when
    # the changes dated ahead move the frontier too.
    assert written == [1] if MonthToDate.keep_ahead else written == [23]
    assert await figures(models) == expected
    assert await models.days.count_documents({}) < await ReadModels(mongo_db, "legacy").days.count_documents({})
    assert await counters.days.totals() == await Counters(ReadModels(mongo_db, "legacy")).days.totals()


async def test_a_crash_before_the_frontier_is_stored_is_repaired_by_the_next_writer(
    mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = await figures(await legacy(mongo_db))
    models = ReadModels(mongo_db, "crashed")
    await models.ensure_indexes()
    for start, end, changes in CLAIMS:
        if start == 30:  # moves the frontier past two days: its documents are written, the frontier is not
            original = MonthToDate._wrote

            async def crash(self: MonthToDate, *args: Any) -> None:
                raise ConnectionError("the store went away")

            monkeypatch.setattr(MonthToDate, "_wrote", crash)
            with pytest.raises(ConnectionError):
                await Counters(models).apply_claim("p0", start, end, changes)
            monkeypatch.setattr(MonthToDate, "_wrote", original)
        await Counters(models).apply_claim("p0", start, end, changes)  # each claim by a writer new to the stream
    assert await figures(models) == expected
