"""CSV and XLSX exports of the per-agency table (one flat row per agency, same figures as the API),
headed with the labels an official files them under: Vietnamese with English beside, or one language."""

import csv
import io
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

Language = Literal["vi", "en"]

CHANNELS = [
    ("direct", "trực tiếp", "directly"),
    ("online", "trực tuyến", "online"),
    ("postal", "qua bưu chính", "by post"),
]
TIMELINESS = [("early", "trước hạn", "early"), ("on_time", "đúng hạn", "on time"), ("late", "quá hạn", "late")]
RATINGS = [
    ("very_satisfied", "Rất hài lòng", "Very satisfied"),
    ("satisfied", "Hài lòng", "Satisfied"),
    ("unsatisfied", "Không hài lòng", "Unsatisfied"),
]

# (Vietnamese label, English label, path into an agency row), in the order of the JSON row
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Mã đơn vị", "Agency code", ("agency_code",)),
    ("Tên đơn vị", "Agency name", ("agency_name",)),
    ("Tổng số hồ sơ tiếp nhận", "Received", ("received", "total")),
    *[(f"Tiếp nhận {vi}", f"Received {en}", ("received", "by_channel", c, "count")) for c, vi, en in CHANNELS],
    *[
        (f"Tỷ lệ tiếp nhận {vi} (%)", f"Received {en} (%)", ("received", "by_channel", c, "percent"))
        for c, vi, en in CHANNELS
    ],
    ("Kỳ trước chuyển sang", "Carried over", ("carried_over",)),
    ("Đã giải quyết", "Resolved", ("resolved", "total")),
    *[(f"Giải quyết {vi}", f"Resolved {en}", ("resolved", t, "count")) for t, vi, en in TIMELINESS],
    *[(f"Tỷ lệ giải quyết {vi} (%)", f"Resolved {en} (%)", ("resolved", t, "percent")) for t, vi, en in TIMELINESS],
    ("Trả kết quả qua bưu chính", "Returned by post", ("resolved", "returned_by_post", "count")),
    ("Tỷ lệ trả kết quả qua bưu chính (%)", "Returned by post (%)", ("resolved", "returned_by_post", "percent")),
    ("Tỷ lệ đúng hạn (%)", "On-time rate (%)", ("on_time_rate",)),
    ("Quá hạn không có văn bản xin lỗi", "Late without apology letter", ("late_without_apology",)),
    ("Quá hạn có văn bản xin lỗi", "Late with apology letter", ("resolved", "late_with_apology", "count")),
    ("Đang giải quyết", "In progress", ("in_progress", "total")),
    ("Đang giải quyết trong hạn", "In progress within deadline", ("in_progress", "within_deadline")),
    ("Đang giải quyết quá hạn", "In progress overdue", ("in_progress", "overdue")),
    ("Đang tạm dừng", "Paused", ("in_progress", "paused")),
    ("Có kết quả chưa đến nhận", "Results not collected", ("uncollected",)),
    ("Từ chối", "Refused", ("refused",)),
    ("Rút hồ sơ", "Withdrawn", ("withdrawn",)),
    ("Lượt đánh giá", "Ratings", ("satisfaction", "total")),
    *[(vi, en, ("satisfaction", r, "count")) for r, vi, en in RATINGS],
    # Counted by receiving counter (issue 18: receipt regardless of administrative boundaries).
    ("Tiếp nhận tại quầy của đơn vị", "Received at its counters", ("received_at_counter", "total")),
    ("Tiếp nhận hộ đơn vị khác", "Received for other agencies", ("received_at_counter", "for_other_agencies")),
    (
        "Tiếp nhận tại quầy đơn vị khác",
        "Received at other agencies' counters",
        ("received_at_counter", "at_other_counters"),
    ),
]


def header(lang: Language | None) -> list[str]:
    """The column labels in `lang`, or Vietnamese with English beside when no language is asked."""
    if lang is None:
        return [f"{vi} · {en}" for vi, en, _ in COLUMNS]
    return [vi if lang == "vi" else en for vi, en, _ in COLUMNS]


def flat_row(row: dict[str, Any]) -> list[Any]:
    values = []
    for _, _, path in COLUMNS:
        value: Any = row
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None  # absent: an empty cell
        values.append(value)
    return values


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text a spreadsheet would run as a formula (an agency name from the catalogue events, which
    anyone able to publish may write) is quoted with a leading apostrophe, as OWASP advises."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def agency_table_csv(rows: list[dict[str, Any]], lang: Language | None = None) -> bytes:
    """UTF-8 with a BOM so that spreadsheet programs show Vietnamese names correctly; a rate of nothing
    (null in the API) is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(lang))
    writer.writerows([inert(v) for v in flat_row(row)] for row in rows)
    return ("\ufeff" + out.getvalue()).encode()


def agency_table_xlsx(rows: list[dict[str, Any]], period: dict[str, str], lang: Language | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{period['from']}..{period['to']}"[:31]
    sheet.append(header(lang))
    for column, cell in enumerate(sheet[1], start=1):
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(column)].width = 36 if column == 2 else 16
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
