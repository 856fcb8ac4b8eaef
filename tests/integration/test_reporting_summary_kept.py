"""What the reporting process keeps between summaries (adapters/read_cache.py) never hides a later
fold: a dossier folded into a stream already read, a stream's first claim and a catalogue change each
show in the very next summary; a summary asked again with nothing folded, or with only later months
folded since, reads only `reporting_meta`."""

from typing import Any

import pytest
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.config import Settings
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event
from motcua_shared import events as ev
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_summary import summary
from test_reporting_support import SECRET, running_reporting, scenario_catalogue, scenario_histories, vn


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
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    projections = Projections.of(models)
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    histories = scenario_histories()
    await projections.dossiers.fold_events(histories["D1"].events[:1])
    settings = Settings(  # type: ignore[call-arg]
        mongodb_url=infrastructure.mongodb_url, mongodb_database=mongo_db.name, jwt_secret=SECRET
    )
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
