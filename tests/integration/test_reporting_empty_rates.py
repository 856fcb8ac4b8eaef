"""Rates of nothing: a rate over an empty base (the on-time rate with nothing resolved, an online
indicator with no procedures or no dossiers) is null, not 0.0, in the summary, the per-agency table,
the indicators, the exports and the OpenAPI; the contract's shares keep 0.0 for an empty total
(CONTRACT.md's example). Over the hand-computed quarter, folded from the real broker."""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_support import (
    OFFICIAL,
    create_topics,
    folded,
    publish,
    reporting_settings,
    running_reporting,
    scenario_catalogue,
    scenario_histories,
)

Q1_2020 = {"from": "2020-01-01", "to": "2020-03-31"}
Q1_2021 = {"from": "2021-01-01", "to": "2021-03-31"}  # nothing received, nothing resolved
ZERO = {"count": 0, "percent": 0.0}


@pytest.fixture
async def client(
    infrastructure: Infrastructure, run_id: str, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    kafka = infrastructure.kafka_bootstrap_servers
    topics = await create_topics(kafka, run_id)
    events = [e for h in scenario_histories().values() for e in h.events]
    await publish(kafka, topics, scenario_catalogue())
    await publish(kafka, topics, events)
    async with running_reporting(reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, topics)) as api:
        await folded(mongo_db, dossier_events=len(events), agencies=4, procedures=5)
        yield api


async def get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    response = await client.get(path, params=params, headers=OFFICIAL)
    assert response.status_code == 200, response.text
    return response


async def test_the_on_time_rate_of_nothing_resolved_is_null(client: httpx.AsyncClient) -> None:
    empty = (await get(client, "/v1/reports/summary", **Q1_2021)).json()
    assert empty["resolved"]["total"] == 0 and empty["on_time_rate"] is None
    # The contract's shares of an empty total stay 0.0, as CONTRACT.md's example shows them.
    assert empty["received"]["by_channel"] == {"direct": ZERO, "online": ZERO, "postal": ZERO}
    assert all(empty["resolved"][t] == ZERO for t in ("early", "on_time", "late", "returned_by_post"))
    assert all(empty["satisfaction"][r] == ZERO for r in ("very_satisfied", "satisfied", "unsatisfied"))
    # A commune's quarter: one dossier received, none resolved.
    commune = (await get(client, "/v1/reports/summary", **Q1_2020, admin_level="commune")).json()
    assert (commune["received"]["total"], commune["resolved"]["total"], commune["on_time_rate"]) == (1, 0, None)
    # Resolved, all late: a rate of 0.0 over a base that exists.
    stp = (await get(client, "/v1/reports/summary", **Q1_2020, agency_code="STP")).json()
    assert stp["on_time_rate"] == 0.0

    table = (await get(client, "/v1/reports/agencies", **Q1_2020)).json()
    rates = {row["agency_code"]: row["on_time_rate"] for row in table["data"]}
    # UBND-X's dossier is resolved in April, UBND-X-Y's is still open.
    assert rates == {"STNMT": 75.0, "STP": 0.0, "UBND-X": None, "UBND-X-Y": None}

    # Exported as an empty cell, not as 0.
    rows = list(
        csv.DictReader(
            io.StringIO(
                (await get(client, "/v1/reports/agencies.csv", **Q1_2020, lang="en")).content.decode("utf-8-sig")
            )
        )
    )
    exported = {r["Agency code"]: r["On-time rate (%)"] for r in rows}
    assert exported == {"STNMT": "75.0", "STP": "0.0", "UBND-X": "", "UBND-X-Y": ""}


async def test_online_indicators_over_an_empty_base_are_null(client: httpx.AsyncClient) -> None:
    # STP has no district procedures: no base for any rate.
    none = (
        await get(client, "/v1/reports/online-services", **Q1_2020, agency_code="STP", admin_level="district")
    ).json()
    assert none["services"] == {
        "procedures": 0,
        "level_4": 0,
        "level_3": 0,
        "online_rate": None,
        "level_4_rate": None,
        "level_3_rate": None,
    }
    assert none["by_admin_level"] == [] and none["by_agency"] == []
    for ratio in ("services_with_online_dossiers", "online_dossiers", "online_payments"):
        assert none[ratio] == {"count": 0, "of": 0, "percent": None}, ratio

    # A quarter without dossiers: four online services, none with dossiers (0.0 of 4), and no
    # dossier to take a share of (null).
    quiet = (await get(client, "/v1/reports/online-services", **Q1_2021)).json()
    assert quiet["services"]["online_rate"] == 80.0
    assert quiet["services_with_online_dossiers"] == {"count": 0, "of": 4, "percent": 0.0}
    assert quiet["online_dossiers"] == {"count": 0, "of": 0, "percent": None}
    assert quiet["online_payments"] == {"count": 0, "of": 0, "percent": None}


def nullable(schema: dict[str, Any]) -> bool:
    return any(s.get("type") == "null" for s in schema.get("anyOf", []))


async def test_the_openapi_says_which_rates_may_be_null(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert nullable(schemas["SummaryPublic"]["properties"]["on_time_rate"])
    assert nullable(schemas["AgencyRow"]["properties"]["on_time_rate"])
    for rate in ("online_rate", "level_4_rate", "level_3_rate"):
        assert nullable(schemas["LevelRates"]["properties"][rate]), rate
    assert nullable(schemas["Ratio"]["properties"]["percent"])
    # CONTRACT.md's shares are always numbers.
    assert schemas["Share"]["properties"]["percent"]["type"] == "number"
    assert "on_time_rate" in schemas["SummaryPublic"]["required"]
