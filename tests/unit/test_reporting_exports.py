"""An agency name that a spreadsheet would run as a formula is exported as plain text."""

import csv
import io

from motcua_reporting.api.exports import COLUMNS, agency_table_csv


def row(name: str) -> dict:
    share = {"count": 0, "percent": 0.0}
    return {
        "agency_code": "X",
        "agency_name": name,
        "carried_over": 0,
        "on_time_rate": 0.0,
        "late_without_apology": 0,
        "refused": 0,
        "withdrawn": 0,
        "uncollected": 0,
        "received": {"total": 0, "by_channel": {c: share for c in ("direct", "online", "postal")}},
        "resolved": {
            "total": 0,
            **{
                t: share
                for t in ("early", "on_time", "late", "returned_by_post", "late_with_apology", "late_without_apology")
            },
        },
        "in_progress": {"total": 0, "within_deadline": 0, "overdue": 0, "paused": 0},
        "satisfaction": {"total": 0, **{r: share for r in ("very_satisfied", "satisfied", "unsatisfied")}},
    }


def test_a_name_starting_like_a_formula_is_exported_as_text() -> None:
    names = ['=HYPERLINK("http://evil","x")', "+1", "-2", "@SUM(A1)", "Sở Tư pháp"]
    body = agency_table_csv([row(n) for n in names]).decode("utf-8-sig")
    exported = [r["Tên đơn vị · Agency name"] for r in csv.DictReader(io.StringIO(body))]
    assert exported == ["'" + n for n in names[:4]] + ["Sở Tư pháp"]
    assert len(COLUMNS) == len(next(csv.reader(io.StringIO(body))))
