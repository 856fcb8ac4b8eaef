"""The per-agency table, online-service indicators, narrative, monthly trend and CSV/XLSX exports of
the hand-computed quarter (folded into the real store), all from the same figures as the summary."""

import csv
import io
from typing import Any

import pytest
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from openpyxl import load_workbook
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_summary import EXPECTED_Q1, Q1, share
from test_reporting_support import (
    OFFICIAL,
    reporting_settings,
    running_reporting,
    scenario_catalogue,
    scenario_histories,
    scrambled,
    token,
)


@pytest.fixture
async def client(infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]) -> Any:
    """A reporting API over the quarter, folded straight into the store (the Kafka path is tested in
    test_reporting_summary)."""
    projections = Projections.of(ReadModels(mongo_db))
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    for event in scrambled(scenario_histories()):
        await fold_dossier_event(projections, event)
    settings = reporting_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, Topics("unused.")
    )
    async with running_reporting(settings, consume=False) as api:
        yield api


async def get(client: Any, path: str, headers: dict[str, str] = OFFICIAL, **params: str) -> Any:
    response = await client.get(path, params={**Q1, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_the_agency_table_has_every_summary_column_per_agency(client: Any) -> None:
    table = (await get(client, "/v1/reports/agencies")).json()
    assert [r["agency_code"] for r in table["data"]] == ["STNMT", "STP", "UBND-X", "UBND-X-Y"]
    stnmt, stp = table["data"][0], table["data"][1]
    assert stnmt["received"]["by_channel"] == {
        "direct": share(2, 50.0),
        "online": share(2, 50.0),
        "postal": share(0, 0.0),
    }
    assert stnmt["carried_over"] == 2 and stnmt["refused"] == 1
    assert (stnmt["resolved"]["total"], stnmt["on_time_rate"], stnmt["late_without_apology"]) == (4, 75.0, 1)
    assert stnmt["in_progress"] == {"total": 1, "within_deadline": 0, "overdue": 0, "paused": 1}
    assert stp["resolved"]["late"] == share(2, 100.0) and stp["on_time_rate"] == 0.0 and stp["withdrawn"] == 1
    # The rows add up to the summary.
    for column in ("carried_over", "refused", "withdrawn", "late_without_apology"):
        assert sum(r[column] for r in table["data"]) == EXPECTED_Q1[column]
    assert sum(r["received"]["total"] for r in table["data"]) == EXPECTED_Q1["received"]["total"]
    assert sum(r["in_progress"]["total"] for r in table["data"]) == EXPECTED_Q1["in_progress"]["total"]
    # An officer's table holds their agency only.
    mine = (await get(client, "/v1/reports/agencies", token(Role.OFFICER, agency="STP"))).json()
    assert [r["agency_code"] for r in mine["data"]] == ["STP"]


async def test_online_service_indicators(client: Any) -> None:
    online = (await get(client, "/v1/reports/online-services")).json()
    assert online["services"] == {
        "procedures": 5,
        "level_4": 2,
        "level_3": 2,
        "online_rate": 80.0,
        "level_4_rate": 40.0,
        "level_3_rate": 40.0,
    }
    provincial = next(r for r in online["by_admin_level"] if r["admin_level"] == "provincial")
    assert (provincial["procedures"], provincial["online_rate"], provincial["level_4_rate"]) == (3, 66.67, 33.33)
    stp = next(r for r in online["by_agency"] if r["agency_code"] == "STP")
    assert (stp["procedures"], stp["level_3"], stp["online_rate"]) == (2, 1, 50.0)
    # 1.001 and 2.001 had online dossiers; 1.002 and 3.001 (level 3) had none.
    assert online["services_with_online_dossiers"] == {"count": 2, "of": 4, "percent": 50.0}
    assert online["online_dossiers"] == {"count": 3, "of": 9, "percent": 33.33}
    # fee-charging: 1.001 (4 dossiers, 1 paid online) and 3.001 (1 dossier)
    assert online["online_payments"] == {"count": 1, "of": 5, "percent": 20.0}


async def test_narrative_and_trend_tell_the_same_figures(client: Any) -> None:
    words = (await get(client, "/v1/reports/narrative")).json()
    assert words["en"].startswith(
        "In the first quarter of 2020, the centre received 9 dossiers: "
        "5 directly (55.56%), 3 online (33.33%) and 1 by post (11.11%)."
    )
    assert (
        "Results of 6 dossiers were returned: 2 before the deadline (33.33%), 1 on time (16.67%) and "
        "3 late (50.00%); 1 were returned by post (16.67%)." in words["en"]
    )
    assert "The busiest agencies were Sở Tài nguyên và Môi trường (4 dossiers), Sở Tư pháp (3)" in words["en"]
    assert words["vi"].startswith("Trong quý I năm 2020, Trung tâm đã tiếp nhận 9 hồ sơ: 5 trực tiếp (55,56%)")
    assert "Đang giải quyết 4 hồ sơ, trong đó 1 hồ sơ quá hạn." in words["vi"]
    trend = (await get(client, "/v1/reports/trend")).json()["data"]
    assert trend == [
        {"month": "2020-01", "received": 3, "resolved": 4, "early": 2, "on_time": 1, "late": 1},
        {"month": "2020-02", "received": 2, "resolved": 2, "early": 0, "on_time": 0, "late": 2},
        {"month": "2020-03", "received": 4, "resolved": 0, "early": 0, "on_time": 0, "late": 0},
    ]


async def test_csv_and_xlsx_exports_of_the_agency_table(client: Any) -> None:
    response = await get(client, "/v1/reports/agencies.csv", lang="en")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Agency code"] for r in rows] == ["STNMT", "STP", "UBND-X", "UBND-X-Y"]
    assert rows[0]["Agency name"] == "Sở Tài nguyên và Môi trường"
    assert (rows[0]["Received"], rows[0]["Resolved early"], rows[0]["On-time rate (%)"]) == ("4", "2", "75.0")
    assert rows[1]["In progress overdue"] == "1"

    response = await get(client, "/v1/reports/agencies.xlsx", lang="vi")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["Mã đơn vị"] == "STNMT" and values["Tổng số hồ sơ tiếp nhận"] == 4
    assert values["Quá hạn không có văn bản xin lỗi"] == 1
    assert sheet.max_row == 5
