"""The periodic report's resolution table (Circular 01/2020/TT-VPCP form) and the drill-down, on a
generated quarter over the sample catalogue's three levels and its fields (one procedure published
without a field, so that "other" has dossiers), folded by the real consumer from the real broker:
every cell of the table by field and by agency equals a brute-force recount (test_reporting_oracle.py),
every figure's list of dossiers (all pages) adds up to it, an officer of another agency is refused,
and the XLSX (read back with openpyxl) and CSV exports hold the same cells in the form's layout."""

import copy
import csv
import io
from collections import Counter
from datetime import date
from typing import Any

import httpx
import openpyxl
import pytest
from motcua_shared.auth import Role
from motcua_shared.calendar import load_calendar
from motcua_shared.topics import Topics
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_reporting_oracle import Oracle
from test_reporting_random_histories import oracle_start, publish_records
from test_reporting_support import OFFICIAL, create_topics, folded, reporting_settings, running_reporting, token

SEED = 20261
Q1 = (date(2025, 1, 1), date(2025, 3, 31))
CALENDAR = load_calendar()
CELLS = (
    "to_resolve",
    "received_online",
    "received_direct_or_postal",
    "carried_over",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress",
    "in_progress_within_deadline",
    "in_progress_overdue",
    "in_progress_paused",
    "refused",
    "withdrawn",
)


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, Any], list[Any], Oracle]:
    catalogue = copy.deepcopy(read_catalogue())
    # Submitted from October to mid-April: Q1 has dossiers carried over, resolved, open and paused at its end.
    histories = generate_histories(SEED, 160, date(2024, 10, 1), date(2025, 4, 15), catalogue, calendar=CALENDAR)
    # The fields play no part in the histories: the busiest procedure is then published without one.
    busiest = Counter(h[0].data.procedure_code for h in histories).most_common(1)[0][0]
    for procedure in catalogue["procedures"]:
        if procedure["procedure_code"] == busiest:
            del procedure["field"]
    return catalogue, histories, Oracle(catalogue, histories, CALENDAR)


@pytest.fixture
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    return await create_topics(infrastructure.kafka_bootstrap_servers, run_id)


def period(start: date, end: date, **more: str) -> dict[str, str]:
    return {"from": start.isoformat(), "to": end.isoformat(), **more}


async def behind(client: httpx.AsyncClient, figure: str, params: dict[str, str], limit: int = 500) -> list[str]:
    """Every dossier code behind `figure`, all pages."""
    codes: list[str] = []
    cursor = None
    while True:
        asked = {**params, "figure": figure, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/reports/dossiers", params=asked, headers=OFFICIAL)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["count"] == len(page["data"]) <= limit
        for item in page["data"]:
            assert set(item) == {
                "dossier_code",
                "agency_code",
                "procedure_code",
                "field_code",
                "admin_level",
                "channel",
                "received_date",
                "due_date",
                "result_date",
                "status",
            }
        codes += [item["dossier_code"] for item in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return codes


def without_rates(cells: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cells.items() if k in CELLS}


async def test_the_resolution_table_and_its_dossiers_equal_a_recount(
    infrastructure: Infrastructure,
    own_topics: Topics,
    mongo_db: AsyncDatabase[Any],
    world: Any,
) -> None:
    catalogue, histories, oracle = world
    kafka = infrastructure.kafka_bootstrap_servers
    settings = reporting_settings(kafka, infrastructure.mongodb_url, mongo_db.name, own_topics)
    events = [e for h in histories for e in h]
    await publish_records(kafka, own_topics, catalogue_events(catalogue, occurred_at=oracle_start()), events)
    async with running_reporting(settings) as client:
        await folded(
            mongo_db,
            dossier_events=len(events),
            agencies=len(catalogue["agencies"]),
            procedures=len(catalogue["procedures"]),
        )
        asked = [
            (*Q1, None, None),
            (*Q1, "UBND-HT", None),
            (*Q1, None, "commune"),
            (date(2025, 2, 10), date(2025, 4, 20), None, None),
        ]
        for start, end, agency, level in asked:
            params = period(
                start, end, **({"agency_code": agency} if agency else {}), **({"admin_level": level} if level else {})
            )
            for by in ("field", "agency"):
                got = (await client.get("/v1/reports/resolution", params={**params, "by": by}, headers=OFFICIAL)).json()
                expected = oracle.resolution(start, end, agency, level, by)
                where = f"{params} by {by}"
                assert {k: got[k] for k in ("levels", "total")} == expected, where
                assert got["by"] == by and got["period"] == {"from": start.isoformat(), "to": end.isoformat()}
                total = got["total"]
                if agency is None and by == "field":
                    # A dossier keeps its field and level: (3) = (7) + (11) + refused + withdrawn, row by row
                    # (not per agency: received counts where it was received, the rest where it was handled).
                    for cells in [total, *(c for lv in got["levels"] for c in (lv["subtotal"], *lv["rows"]))]:
                        assert (
                            cells["to_resolve"]
                            == cells["resolved"] + cells["in_progress"] + cells["refused"] + cells["withdrawn"]
                        ), (where, cells)
            summary = (await client.get("/v1/reports/summary", params=params, headers=OFFICIAL)).json()
            assert total["resolved"] == summary["resolved"]["total"]
            assert total["carried_over"] == summary["carried_over"]

        q1 = period(*Q1)
        table = (await client.get("/v1/reports/resolution", params=q1, headers=OFFICIAL)).json()
        other = [row for lv in table["levels"] for row in lv["rows"] if row["code"] == "other"]
        assert [lv["admin_level"] for lv in table["levels"]] == ["provincial", "district", "commune"]
        assert len(other) == 1 and other[0]["to_resolve"] > 0, "the procedure without a field is under other"
        assert table["total"]["carried_over"] > 0 and table["total"]["in_progress_paused"] >= 0

        # The drill-down: each list, all pages, adds up to its figure.
        all_codes = await behind(client, "to_resolve", q1, limit=7)
        assert len(all_codes) == len(set(all_codes)) == table["total"]["to_resolve"]
        for cell in CELLS:
            assert len(await behind(client, cell, q1)) == table["total"][cell], cell
        for lv in table["levels"]:
            level = {"admin_level": lv["admin_level"]}
            for cell in ("to_resolve", "resolved_late", "in_progress", "refused"):
                found = await behind(client, cell, {**q1, **level})
                assert len(found) == lv["subtotal"][cell], (lv["admin_level"], cell)
            for row in lv["rows"]:
                for cell in ("to_resolve", "resolved_early", "in_progress_overdue"):
                    found = await behind(client, cell, {**q1, **level, "field_code": row["code"]})
                    assert len(found) == row[cell], (lv["admin_level"], row["code"], cell)
        by_agency = (await client.get("/v1/reports/resolution", params={**q1, "by": "agency"}, headers=OFFICIAL)).json()
        for lv in by_agency["levels"]:
            for row in lv["rows"]:
                row_params = {**q1, "admin_level": lv["admin_level"], "row_agency": row["code"]}
                found = await behind(client, "resolved", row_params)
                assert len(found) == row["resolved"], row["code"]
        summary = (await client.get("/v1/reports/summary", params=q1, headers=OFFICIAL)).json()
        for figure, value in [
            ("received.online", summary["received"]["by_channel"]["online"]["count"]),
            ("resolved.on_time", summary["resolved"]["on_time"]["count"]),
            ("returned_by_post", summary["resolved"]["returned_by_post"]["count"]),
            ("late_without_apology", summary["late_without_apology"]),
            ("in_progress.paused", summary["in_progress"]["paused"]),
            ("rated.very_satisfied", summary["satisfaction"]["very_satisfied"]["count"]),
        ]:
            assert len(await behind(client, figure, q1)) == value, figure
        rows = (
            await client.get("/v1/reports/agencies", params={**q1, "agency_code": "UBND-HT"}, headers=OFFICIAL)
        ).json()["data"]
        for row in rows:
            found = await behind(client, "received", {**q1, "agency_code": "UBND-HT", "row_agency": row["agency_code"]})
            assert len(found) == row["received"]["total"], row["agency_code"]

        # Officers: their own agency only.
        officer = token(Role.OFFICER, agency="UBND-PL")
        for path in ("/v1/reports/dossiers", "/v1/reports/resolution", "/v1/reports/resolution.xlsx"):
            refused = await client.get(
                path, params={**q1, "agency_code": "STNMT", "figure": "resolved"}, headers=officer
            )
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_agency", path
        own = await client.get("/v1/reports/dossiers", params={**q1, "figure": "to_resolve"}, headers=officer)
        assert own.status_code == 200
        covered = oracle.covered("UBND-PL")
        assert all(item["agency_code"] in covered for item in own.json()["data"])

        await check_exports(client, q1, table)


async def check_exports(client: httpx.AsyncClient, q1: dict[str, str], table: dict[str, Any]) -> None:
    response = await client.get("/v1/reports/resolution.xlsx", params=q1, headers=OFFICIAL)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in sheet["A1"].value
    assert "Toàn tỉnh" in sheet["A2"].value and "01/01/2025 - 31/03/2025" in sheet["A3"].value
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A5:A6", "B5:B6", "C5:C6", "D5:G5", "H5:K5", "L5:O5", "P5:R5"} <= merged
    assert sheet["D5"].value.startswith("Số hồ sơ nhận giải quyết") and sheet["D6"].value.startswith("Tổng số")
    assert [sheet.cell(7, c).value for c in (1, 3, 4, 7, 8, 14)] == ["(1)", "(2)", "(3)", "(6)", "(7)", "(13)"]
    values = list(sheet.iter_rows(min_row=8, values_only=True))
    bold_rows = {r: sheet.cell(r, 3).font.bold for r in range(8, sheet.max_row + 1)}
    expected_rows = []
    for lv in table["levels"]:
        expected_rows.append((None, None, f"{lv['name_vi']} · {lv['name_en']}"))
        expected_rows += [(row["order"], row["code"], row["name"], *(row[c] for c in CELLS)) for row in lv["rows"]]
        expected_rows.append(("subtotal", lv["subtotal"]))
    expected_rows.append(("total", table["total"]))
    assert len(values) == len(expected_rows)
    for index, (got, want) in enumerate(zip(values, expected_rows, strict=True)):
        bold = bold_rows[8 + index]
        if want[0] in ("subtotal", "total"):
            assert bold and got[:2] == (None, None), got
            assert list(got[3 : 3 + len(CELLS)]) == [want[1][c] for c in CELLS], got
            if want[0] == "total":
                assert got[2] == "Tổng cộng · Total"
        elif want[0] is None:
            assert bold and got[2] == want[2]
        else:
            assert not bold and tuple(got[: 3 + len(CELLS)]) == want, got

    text = (await client.get("/v1/reports/resolution.csv", params=q1, headers=OFFICIAL)).content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:4] == ["Cấp · Level", "STT · No.", "Mã lĩnh vực · Field code", "Lĩnh vực · Field"]
    assert rows[0][4] == "Số hồ sơ nhận giải quyết: Tổng số · Dossiers to resolve: Total (3)"
    assert rows[-1][3] == "Tổng cộng · Total" and rows[-1][4 : 4 + len(CELLS)] == [
        str(table["total"][c]) for c in CELLS
    ]
    assert len(rows) == 1 + sum(len(lv["rows"]) + 1 for lv in table["levels"]) + 1
    english = (await client.get("/v1/reports/resolution.csv", params={**q1, "lang": "en"}, headers=OFFICIAL)).text
    assert english.removeprefix("\ufeff").startswith("Level,No.,Field code,Field,Dossiers to resolve: Total (3)")
