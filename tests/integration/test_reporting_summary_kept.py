"""What the reporting process keeps between summaries (adapters/read_cache.py) never hides a later
fold: a dossier folded into a stream already read, a stream's first claim and a catalogue change each
show in the very next summary; a summary asked again with nothing folded, or with only later months
folded since, reads only `reporting_meta`; after a claim of one stream, only that stream's documents,
and none when this process folded it, unless another instance has written the stream since."""

from typing import Any

import pytest
from motcua_reporting.adapters import counters, read_cache
from motcua_reporting.adapters.counter_reads import Sum
from motcua_reporting.adapters.handover import HANDOVER, Handover
from motcua_reporting.adapters.read_cache import CACHE, ProcessCache
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.config import Settings
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event
from motcua_shared import events as ev
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_summary import summary
from test_reporting_support import SECRET, running_reporting, scenario_catalogue, scenario_histories, vn


async def scenario_store(infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]) -> tuple[Projections, Settings]:
    """The read models with the scenario's catalogue folded, and the settings of a reporting app on them."""
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    projections = Projections.of(models)
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    settings = Settings(  # type: ignore[call-arg]
        mongodb_url=infrastructure.mongodb_url, mongodb_database=mongo_db.name, jwt_secret=SECRET
    )
    return projections, settings


def record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The collections read from (find, find_one) from here on."""
    names: list[str] = []
    for method in ("find", "find_one"):
        original = getattr(AsyncCollection, method)

        def reading(self: AsyncCollection[Any], *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            names.append(self.name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(AsyncCollection, method, reading)
    return names


async def test_a_kept_summary_shows_every_later_fold(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    projections, settings = await scenario_store(infrastructure, mongo_db)
    histories = scenario_histories()
    await projections.dossiers.fold_events(histories["D1"].events[:1])
    async with running_reporting(settings, consume=False) as client:
        assert (await summary(client))["received"]["total"] == 1
        reads = record_reads(monkeypatch)
        assert (await summary(client))["received"]["total"] == 1
        assert reads == ["reporting_meta"]  # nothing folded since: nothing else read
        monkeypatch.undo()

        # A later event of a stream already read (D1 resolved in January 2020): the quarter before,
        # which it cannot change, is still kept; the first quarter is read again and shows it.
        q4 = {"from": "2019-10-01", "to": "2019-12-31"}
        before = await summary(client, **q4)
        await projections.dossiers.fold_events(histories["D1"].events[1:])
        reads = record_reads(monkeypatch)
        assert await summary(client, **q4) == before
        assert reads == ["reporting_meta"]
        monkeypatch.undo()
        assert (await summary(client))["resolved"]["total"] == 1
        # A stream's first claim (D2).
        await projections.dossiers.fold_events(histories["D2"].events[:1], stream="p9")
        assert (await summary(client))["received"]["total"] == 2

        # A catalogue change: the agency renamed.
        renamed = ev.AgencyRegistered(
            occurred_at=vn(2019, 6, 1),
            source="reporting-test",
            data=ev.AgencyRegisteredData(agency_code="STNMT", name="Sở TN&MT", admin_level=ev.AdminLevel("provincial")),
        )
        await fold_catalogue_event(projections, renamed)
        names = {row["agency_code"]: row["agency_name"] for row in (await summary(client))["by_agency"]}
        assert names["STNMT"] == "Sở TN&MT"


def record_counter_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The `_id`s of the counter documents read (find_one on reporting_days/months/open_*) from here on."""
    ids: list[str] = []
    original = AsyncCollection.find_one

    def reading(self: AsyncCollection[Any], filter: Any = None, *args: Any, **kwargs: Any) -> Any:
        if self.name.startswith(("reporting_days", "reporting_months", "reporting_open")):
            ids.append(str((filter or {}).get("_id")))
        return original(self, filter, *args, **kwargs)

    monkeypatch.setattr(AsyncCollection, "find_one", reading)
    return ids


@pytest.mark.parametrize("folded_by", ["another process", "this process"])
async def test_after_a_claim_of_one_stream_a_summary_reads_that_streams_documents_alone(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch, folded_by: str
) -> None:
    # Thirteen dossiers spread over three streams; each step folds the rest of one dossier's history
    # into its stream, then asks kept summaries of four periods: each shows what a fresh process
    # reads from the store. Only the folded stream's documents were read again, and none at all when
    # the fold ran in the process that answers (it hands over what it wrote: handover.py).
    projections, settings = await scenario_store(infrastructure, mongo_db)
    histories = scenario_histories()
    streams = {name: f"s{i % 3}" for i, name in enumerate(sorted(histories))}
    for name, history in histories.items():
        await projections.dossiers.fold_events(history.events[:1], stream=streams[name])
    periods = [
        {"from": "2020-01-01", "to": "2020-03-31"},
        {"from": "2020-01-01", "to": "2020-01-31"},
        {"from": "2020-01-10", "to": "2020-02-15"},
        {"from": "2019-12-20", "to": "2020-01-08", "agency_code": "STNMT"},
    ]
    async with running_reporting(settings, consume=False) as client:
        for name in ["D1", "D2", "D5", "D9"]:
            for period in periods:  # what a running process has kept
                await summary(client, **period)
            await projections.dossiers.fold_events(histories[name].events[1:], stream=streams[name])
            if folded_by == "another process":
                HANDOVER.clear()
            ids = record_counter_reads(monkeypatch)
            kept = [await summary(client, **period) for period in periods]
            monkeypatch.undo()
            if folded_by == "another process":
                assert ids and all(i.startswith(f"{streams[name]}|") for i in ids), ids
            else:
                assert ids == []
            CACHE.clear()
            assert kept == [await summary(client, **period) for period in periods]


async def test_a_hand_over_is_not_used_once_another_writer_marked_the_stream(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # This process's fold writes stream s0 (and hands over what it wrote); another reporting instance
    # then folds into s0 (its own writer, hand-over and last marks). The next summary reads s0 from
    # the store and shows the other instance's dossier; this process's next claim of s0 shows too.
    projections, settings = await scenario_store(infrastructure, mongo_db)
    histories = scenario_histories()
    await projections.dossiers.fold_events(histories["D1"].events[:1], stream="s0")
    async with running_reporting(settings, consume=False) as client:
        await projections.dossiers.fold_events(histories["D2"].events[:1], stream="s0")
        assert (await summary(client))["received"]["total"] == 2
        with monkeypatch.context() as another_process:
            another_process.setattr(counters, "HANDOVER", Handover())
            another_process.setattr(read_cache, "_written", {})
            other = Projections.of(ReadModels(mongo_db))
            await other.dossiers.fold_events(histories["D3"].events[:1], stream="s0")
        ids = record_counter_reads(monkeypatch)
        assert (await summary(client))["received"]["total"] == 3
        monkeypatch.undo()
        assert ids and all(i.startswith("s0|") for i in ids), ids
        await projections.dossiers.fold_events(histories["D4"].events[:1], stream="s0")
        kept = await summary(client)
        assert kept["received"]["total"] == 4
        CACHE.clear()
        assert kept == await summary(client)


async def test_after_claims_folded_here_a_kept_summary_adds_up_only_the_rows_they_changed(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six dossiers of the first quarter of 2020 folded one after another into one stream, their
    # whole histories, with kept summaries of four periods between: each equals what a process that
    # kept nothing answers, and the kept ones took the changed rows the fold handed over.
    projections, settings = await scenario_store(infrastructure, mongo_db)
    histories = scenario_histories()
    handed: list[bool] = []
    swap = Sum.swap

    def recording(self: Sum, old: Any, new: Any, through: Any = None, changed: Any = None) -> None:
        handed.append(changed is not None)
        swap(self, old, new, through, changed)

    monkeypatch.setattr(Sum, "swap", recording)
    periods = [
        {"from": "2020-01-01", "to": "2020-03-31"},
        {"from": "2020-02-01", "to": "2020-02-29"},
        {"from": "2020-01-10", "to": "2020-03-15"},
        {"from": "2020-01-01", "to": "2020-03-31", "agency_code": "STNMT"},
    ]
    async with running_reporting(settings, consume=False) as client:
        for name in ["D1", "D2", "D3", "D4", "D8", "D10"]:
            for events in (histories[name].events[:1], histories[name].events[1:]):
                await projections.dossiers.fold_events(events, stream="s0")
                kept = [await summary(client, **period) for period in periods]
                with monkeypatch.context() as fresh_process:
                    fresh_process.setattr(read_cache, "CACHE", ProcessCache())
                    assert kept == [await summary(client, **period) for period in periods]
    assert any(handed), handed
