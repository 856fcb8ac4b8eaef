"""Officials' read models hold no personal data: after folding dossiers whose applicants gave a name,
an ID number, a phone and an address, none of them is anywhere in reporting's database."""

from typing import Any

from bson import json_util
from motcua_reporting.adapters.dossier_store import DossierProjection
from motcua_reporting.adapters.read_models import ReadModels
from pymongo.asynchronous.database import AsyncDatabase
from test_reporting_support import scenario_histories

PERSONAL = ("Nguyễn Văn An", "001085012345", "0912345678", "Lê Lợi")


async def test_no_personal_data_reaches_any_reporting_collection(mongo_db: AsyncDatabase[Any]) -> None:
    models = ReadModels(mongo_db)
    await models.ensure_indexes()
    projection = DossierProjection(models)
    histories = scenario_histories()
    assert any(h.events[0].data.applicant.id_number == "001085012345" for h in histories.values())
    for history in histories.values():
        await projection.fold_events(history.events)

    stored = []
    for name in await mongo_db.list_collection_names():
        stored += [json_util.dumps(doc, ensure_ascii=False) async for doc in mongo_db[name].find()]
    assert len(stored) > len(histories)  # the dossiers and their counters are there
    everything = "\n".join(stored)
    for personal in PERSONAL:
        assert personal not in everything, personal
