"""The legal working-time calendar of the province (DOMAIN.md, "Working time and deadlines").

    from motcua_shared.calendar import WorkingCalendar, load_calendar, PROVINCE_TZ
    cal = load_calendar()                      # shipped data + $MOTCUA_CALENDAR_FILE if set
    cal.due_at(received_at, procedure.processing_time)

Holidays are data: holidays_vn.toml in this package (decided years 2019-2026, 2027 provisional,
lunar dates to 2060), overridable by an operator's file of the same format (README.md here).
"""

import os
from pathlib import Path

from .data import (
    DEFAULT_PERIODS,
    CalendarData,
    CalendarDataError,
    build_data,
    read_file,
    shipped_raw,
)
from .receipt import ReceiptTerms, after_cutoff, counted_from, due_at_receipt, parse_cutoff, processing_time_for
from .rules import DayEntry, LunarDates, statutory_days_off
from .working import PROVINCE_TZ, WorkingCalendar

OVERRIDE_ENV = "MOTCUA_CALENDAR_FILE"


def load_calendar(override_file: Path | str | None = None) -> WorkingCalendar:
    """The working calendar: the shipped holiday data, then the operator's override file on top.

    The override file is `override_file` if given, else the path in $MOTCUA_CALENDAR_FILE if set
    (and not empty). A missing or malformed override file raises CalendarDataError rather than
    silently counting holidays as working days.
    """
    if override_file is None:
        from_env = os.environ.get(OVERRIDE_ENV, "").strip()
        override_file = Path(from_env) if from_env else None
    layers = [(shipped_raw(), "holidays_vn.toml")]
    if override_file is not None:
        path = Path(override_file)
        layers.append((read_file(path), str(path)))
    return WorkingCalendar(data=build_data(layers))


__all__ = [
    "DEFAULT_PERIODS",
    "OVERRIDE_ENV",
    "PROVINCE_TZ",
    "CalendarData",
    "CalendarDataError",
    "DayEntry",
    "LunarDates",
    "ReceiptTerms",
    "WorkingCalendar",
    "after_cutoff",
    "counted_from",
    "due_at_receipt",
    "load_calendar",
    "parse_cutoff",
    "processing_time_for",
    "statutory_days_off",
]
