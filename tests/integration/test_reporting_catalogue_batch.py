"""A batch of catalogue events folded at once (the rebuild's way, issue 16) leaves the catalogue that
folding them one by one leaves: the newest event of each code wins, whatever the order of the batch,
even for a code never seen before that is published and renamed in the same batch."""

from datetime import timedelta
from typing import Any
from uuid import uuid4

from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.service_layer.folds import Projections
from motcua_shared import events as ev
from pymongo.asynchronous.database import AsyncDatabase
from test_reporting_support import agency, procedure


def renamed(event: ev.ProcedurePublished, name: str, later_by_days: int) -> ev.ProcedurePublished:
    return event.model_copy(
        update={
            "event_id": uuid4(),
            "occurred_at": event.occurred_at + timedelta(days=later_by_days),
            "data": event.data.model_copy(update={"name": name}),
        }
    )


def retired(code: str, event: ev.Envelope, later_by_days: int) -> ev.ProcedureRetired:
    return ev.ProcedureRetired(
        occurred_at=event.occurred_at + timedelta(days=later_by_days),
        source="reporting-test",
        data=ev.ProcedureRetiredData(procedure_code=code),
    )


async def test_a_batch_keeps_the_newest_event_of_each_code_in_any_order(mongo_db: AsyncDatabase[Any]) -> None:
    first = procedure("1.001", "STNMT", "provincial", 4, 600000)
    second = procedure("1.002", "STP", "provincial", 3, None)
    batch: list[ev.Envelope] = [
        agency("STNMT", "Sở Tài nguyên và Môi trường", "provincial"),
        agency("STP", "Sở Tư pháp", "provincial"),
        renamed(first, "Thủ tục mới", later_by_days=30),
        first,  # older than its renaming, later in the batch: it changes nothing
        second,
        renamed(second, "Thủ tục 1.002 (sửa đổi)", later_by_days=1),
        retired("1.002", second, later_by_days=2),
        *(procedure(f"2.{n:03}", "STP", "provincial", 2, None) for n in range(40)),
    ]
    catalogue = Projections.of(ReadModels(mongo_db)).catalogue

    await catalogue.apply_all(batch)

    loaded = await catalogue.load()
    assert set(loaded.agencies) == {"STNMT", "STP"}
    assert loaded.procedures["1.001"].name == "Thủ tục mới"
    assert (loaded.procedures["1.002"].name, loaded.procedures["1.002"].retired) == ("Thủ tục 1.002 (sửa đổi)", True)
    assert len(loaded.procedures) == 42


async def test_an_empty_batch_writes_nothing(mongo_db: AsyncDatabase[Any]) -> None:
    catalogue = Projections.of(ReadModels(mongo_db)).catalogue
    await catalogue.apply_all([])
    assert (await catalogue.load()).procedures == {}
