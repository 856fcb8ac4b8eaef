"""The resolution table as the form is filed: XLSX in the form's layout (title with the period and the
reporting unit, a merged two-level header, the form's column numbers, level subtotals and the total
in bold) and CSV (UTF-8 with BOM, one header row, Vietnamese with English beside as the other exports)."""

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side

from .exports import Language, inert

TITLE = (
    "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
    "Report on the resolution of administrative procedures",
)
# (group label vi, en), then its columns: (JSON name, label vi, label en, the form's number)
GROUPS: list[tuple[tuple[str, str], list[tuple[str, str, str, str]]]] = [
    (
        ("Số hồ sơ nhận giải quyết", "Dossiers to resolve"),
        [
            ("to_resolve", "Tổng số", "Total", "(3)"),
            ("received_online", "Trực tuyến", "Received online", "(4)"),
            ("received_direct_or_postal", "Trực tiếp, dịch vụ bưu chính", "Received directly or by post", "(5)"),
            ("carried_over", "Từ kỳ trước", "Carried over", "(6)"),
        ],
    ),
    (
        ("Số hồ sơ đã giải quyết", "Dossiers resolved"),
        [
            ("resolved", "Tổng số", "Total", "(7)"),
            ("resolved_early", "Trước hạn", "Before the deadline", "(8)"),
            ("resolved_on_time", "Đúng hạn", "On time", "(9)"),
            ("resolved_late", "Quá hạn", "Late", "(10)"),
        ],
    ),
    (
        ("Số hồ sơ đang giải quyết", "Dossiers being resolved"),
        [
            ("in_progress", "Tổng số", "Total", "(11)"),
            ("in_progress_within_deadline", "Trong hạn", "Within the deadline", "(12)"),
            ("in_progress_overdue", "Quá hạn", "Overdue", "(13)"),
            ("in_progress_paused", "Tạm dừng", "Paused", ""),
        ],
    ),
    (
        ("Hồ sơ khác", "Other dossiers"),
        [
            ("refused", "Từ chối", "Refused", ""),
            ("withdrawn", "Rút hồ sơ", "Withdrawn", ""),
            ("resolved_unclassified", "Đã giải quyết, không có hạn", "Resolved without a due date", ""),
        ],
    ),
]
ROW_LABELS = {
    "field": (("Mã lĩnh vực", "Field code"), ("Lĩnh vực", "Field")),
    "agency": (("Mã đơn vị", "Agency code"), ("Đơn vị", "Agency")),
}


def _label(vi: str, en: str, lang: Language | None) -> str:
    return f"{vi} · {en}" if lang is None else (vi if lang == "vi" else en)


def _clean(value: Any) -> Any:
    """Names come from events anyone may publish: no control characters, never a formula."""
    return inert(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def lines(body: dict[str, Any], lang: Language | None) -> list[tuple[str, list[Any]]]:
    """(kind: row | subtotal | total, cells) in the table's order: the rows of each level, its subtotal,
    then the total. Cells: level, order, code, name, then every column of GROUPS."""
    names = [name for _, cols in GROUPS for name, *_ in cols]
    out: list[tuple[str, list[Any]]] = []
    for level in body["levels"]:
        level_name = _label(level["name_vi"], level["name_en"], lang)
        for row in level["rows"]:
            out.append(("row", [level_name, row["order"], row["code"], row["name"], *(row[n] for n in names)]))
        subtotal = _label(f"Cộng {level['name_vi'].lower()}", f"{level['name_en']} subtotal", lang)
        out.append(("subtotal", [level_name, None, None, subtotal, *(level["subtotal"][n] for n in names)]))
    out.append(("total", [None, None, None, _label("Tổng cộng", "Total", lang), *(body["total"][n] for n in names)]))
    return out


def header(body: dict[str, Any], lang: Language | None) -> list[str]:
    code, name = ROW_LABELS[body["by"]]
    return [
        _label("Cấp", "Level", lang),
        _label("STT", "No.", lang),
        _label(*code, lang),
        _label(*name, lang),
        *[
            _label(f"{g_vi}: {vi}", f"{g_en}: {en}", lang) + (f" {number}" if number else "")
            for (g_vi, g_en), cols in GROUPS
            for _, vi, en, number in cols
        ],
    ]


def resolution_csv(body: dict[str, Any], lang: Language | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header(body, lang))
    writer.writerows([_clean(v) for v in cells] for _, cells in lines(body, lang))
    return ("\ufeff" + out.getvalue()).encode()


def resolution_xlsx(body: dict[str, Any], lang: Language | None = None) -> bytes:
    """Rows 1-3: title, reporting unit, period; rows 5-7: the two-level header and the form's column
    numbers; then the rows, each level's subtotal and the total (bold)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{body['period']['from']}..{body['period']['to']}"[:31]
    width = 3 + sum(len(cols) for _, cols in GROUPS)  # order, name, then the figures (the code beside the name)
    scope = body["scope"]
    unit = (
        _label(scope["unit_name_vi"], scope["unit_name_en"], lang)
        if scope["unit_name_vi"] != scope["unit_name_en"]
        else scope["unit_name_vi"]
    )
    period = body["period"]
    sheet.cell(1, 1, _label(*TITLE, lang))
    sheet.cell(2, 1, f"{_label('Đơn vị báo cáo', 'Reporting unit', lang)}: {_clean(unit)}")
    sheet.cell(3, 1, f"{_label('Kỳ báo cáo', 'Period', lang)}: {_day(period['from'])} - {_day(period['to'])}")
    for row in (1, 2, 3):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center")
    sheet.cell(1, 1).font = Font(bold=True, size=13)

    bold, thin = Font(bold=True), Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    code_label, name_label = ROW_LABELS[body["by"]]
    top, sub, numbers = 5, 6, 7
    for column, (vi, en), number in ((1, ("STT", "No."), "(1)"), (2, code_label, ""), (3, name_label, "(2)")):
        sheet.cell(top, column, _label(vi, en, lang))
        sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
        sheet.cell(numbers, column, number)
    column = 4
    for (g_vi, g_en), cols in GROUPS:
        sheet.cell(top, column, _label(g_vi, g_en, lang))
        sheet.merge_cells(start_row=top, start_column=column, end_row=top, end_column=column + len(cols) - 1)
        for offset, (_, vi, en, number) in enumerate(cols):
            sheet.cell(sub, column + offset, _label(vi, en, lang))
            sheet.cell(numbers, column + offset, number)
        column += len(cols)
    for heading in sheet.iter_rows(min_row=top, max_row=numbers, max_col=width):
        for cell in heading:
            cell.font, cell.alignment, cell.border = bold, center, box

    shown_level = None
    for kind, cells in lines(body, lang):
        level, order, code, name, *figures = cells
        if level is not None and level != shown_level:  # a level's heading row, as the form prints it
            shown_level = level
            sheet.append([None, None, level])
            for cell in sheet[sheet.max_row]:
                cell.font, cell.border = bold, box
        sheet.append([order, _clean(code), _clean(name), *figures])
        for cell in sheet[sheet.max_row]:
            cell.border = box
            if cell.data_type == "f":
                cell.data_type = "s"
            if kind != "row":
                cell.font = bold
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 40
    sheet.row_dimensions[sub].height = 60
    sheet.freeze_panes = sheet.cell(numbers + 1, 4).coordinate
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
