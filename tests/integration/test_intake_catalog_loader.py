"""`motcua-intake load-catalog` publishes the sample catalogue on catalog.events; intake folds it."""

from typing import Any

from motcua_intake.catalog_loader import load_catalogue, read_catalogue
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import calendar_options, eventually, intake_settings, read_records, running_intake


async def test_the_sample_catalogue_loads_and_is_folded(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    document = read_catalogue()
    counts = await load_catalogue(settings)
    assert counts == {"agencies": len(document["agencies"]), "procedures": len(document["procedures"])}

    records = await read_records(
        infrastructure.kafka_bootstrap_servers,
        topics.catalog_events,
        match=lambda r: r.value["source"] == "intake-service" and r.key in {"STNMT", "1.004227"},
        until=lambda found: len(found) >= 2,
    )
    by_key = {r.key: r.value for r in records}
    assert by_key["STNMT"]["data"] == {
        "agency_code": "STNMT",
        "name": "Sở Tài nguyên và Môi trường",
        "admin_level": "provincial",
    }
    assert by_key["1.004227"]["data"]["processing_time"] == {"value": 15, "unit": "working_days"}

    async with running_intake(settings, **calendar_options()) as client:

        async def folded() -> bool:
            # Partitions are folded independently: wait for both an agency and a procedure.
            procedures = (await client.get("/v1/procedures", params={"agency_code": "STNMT"})).json()
            agencies = (await client.get("/v1/agencies")).json()["data"]
            return procedures["count"] == 5 and "UBND-HT-HV" in {a["agency_code"] for a in agencies}

        assert await eventually(folded)
        agencies = {a["agency_code"]: a for a in (await client.get("/v1/agencies")).json()["data"]}
        assert agencies["UBND-HT-HV"]["parent_code"] == "UBND-HT"
        assert agencies["UBND-HT-HV"]["admin_level"] == "commune"
