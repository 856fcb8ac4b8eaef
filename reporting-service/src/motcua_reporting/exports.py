"""CSV and XLSX exports of the per-agency table (one flat row per agency, same figures as the API)."""

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

# (header, path into an agency row)
COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("agency_code", ("agency_code",)),
    ("agency_name", ("agency_name",)),
    ("received", ("received", "total")),
    *[(f"received_{c}", ("received", "by_channel", c, "count")) for c in ("direct", "online", "postal")],
    *[(f"received_{c}_percent", ("received", "by_channel", c, "percent")) for c in ("direct", "online", "postal")],
    ("carried_over", ("carried_over",)),
    ("resolved", ("resolved", "total")),
    *[(f"resolved_{t}", ("resolved", t, "count")) for t in ("early", "on_time", "late")],
    *[(f"resolved_{t}_percent", ("resolved", t, "percent")) for t in ("early", "on_time", "late")],
    ("returned_by_post", ("resolved", "returned_by_post", "count")),
    ("returned_by_post_percent", ("resolved", "returned_by_post", "percent")),
    ("on_time_rate", ("on_time_rate",)),
    ("late_without_apology", ("late_without_apology",)),
    ("in_progress", ("in_progress", "total")),
    ("in_progress_within_deadline", ("in_progress", "within_deadline")),
    ("in_progress_overdue", ("in_progress", "overdue")),
    ("in_progress_paused", ("in_progress", "paused")),
    ("refused", ("refused",)),
    ("withdrawn", ("withdrawn",)),
    ("rated", ("satisfaction", "total")),
    *[(f"rated_{r}", ("satisfaction", r, "count")) for r in ("very_satisfied", "satisfied", "unsatisfied")],
]


def flat_row(row: dict[str, Any]) -> list[Any]:
    values = []
    for _, path in COLUMNS:
        value: Any = row
        for part in path:
            value = value[part]
        values.append(value)
    return values


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (an agency name from the catalogue events, which
    anyone able to publish may write) is quoted with a leading apostrophe, as OWASP advises."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def agency_table_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM so that spreadsheet programs show Vietnamese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerows([inert(v) for v in flat_row(row)] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def agency_table_xlsx(rows: list[dict[str, Any]], period: dict[str, str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{period['from']}..{period['to']}"[:31]
    sheet.append([name for name, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Names come from events anyone may publish: a control character would make openpyxl
        # refuse the workbook, and a leading "=" would make the name a formula.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in flat_row(row)])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
