"""The statutory holidays of a year, derived from the Labour Code for years the government has not decided.

Decided years are data (holidays_vn.toml); this is the fallback for the others, so that a deadline
that runs into an undecided year still skips Tết and the other holidays instead of counting them
as working days.
"""

from dataclasses import dataclass
from datetime import date, timedelta

SATURDAY = 5

# Labour Code 2019 (in force 1 January 2021) added one day adjacent to 2 September.
NATIONAL_DAY_TWO_DAYS_FROM = 2021


@dataclass(frozen=True)
class LunarDates:
    """Gregorian dates of the lunar days the law names, for one year."""

    tet: date
    hung_kings: date


@dataclass(frozen=True)
class DayEntry:
    """A day of the calendar data: a day off (kind holiday/make_up/swapped) or a weekend day worked."""

    day: date
    name: str
    kind: str


def _is_weekend(day: date) -> bool:
    return day.weekday() >= SATURDAY


def _national_day_adjacent(year: int) -> date:
    """The day the government usually joins to 2 September: the one that makes the longer break."""
    national_day = date(year, 9, 2)
    # Mon -> Tue 3/9; Tue -> Mon 1/9; Wed -> Tue 1/9; Thu -> Fri 3/9; Fri -> Thu 1/9;
    # Sat -> Fri 1/9; Sun -> Mon 3/9 (made up days then follow).
    after = national_day.weekday() in (0, 3, 6)
    return national_day + timedelta(days=1 if after else -1)


def statutory_days_off(year: int, lunar: LunarDates | None) -> list[DayEntry]:
    """Holidays of `year` by the Labour Code, with make-up days for those on a weekend.

    Without `lunar` (a year outside the lunar table) Tết and Hung Kings' day cannot be placed and
    are left out; the caller warns about it.
    """
    holidays: list[DayEntry] = [DayEntry(date(year, 1, 1), "Tết Dương lịch", "holiday")]
    if lunar is not None:
        last_day = lunar.tet - timedelta(days=1)
        holidays.append(DayEntry(last_day, "Tết Nguyên đán (ngày cuối năm âm lịch)", "holiday"))
        for offset in range(4):
            holidays.append(
                DayEntry(lunar.tet + timedelta(days=offset), f"Tết Nguyên đán (mùng {offset + 1})", "holiday")
            )
        holidays.append(DayEntry(lunar.hung_kings, "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "holiday"))
    holidays.append(DayEntry(date(year, 4, 30), "Ngày Chiến thắng (30/4)", "holiday"))
    holidays.append(DayEntry(date(year, 5, 1), "Ngày Quốc tế Lao động (1/5)", "holiday"))
    holidays.append(DayEntry(date(year, 9, 2), "Quốc khánh (2/9)", "holiday"))
    if year >= NATIONAL_DAY_TWO_DAYS_FROM:
        adjacent = _national_day_adjacent(year)
        holidays.append(DayEntry(adjacent, f"Quốc khánh (ngày liền kề {adjacent.day}/9)", "holiday"))
    holidays.sort(key=lambda entry: entry.day)

    taken = {entry.day for entry in holidays}
    make_ups: list[DayEntry] = []
    for entry in holidays:
        if not _is_weekend(entry.day):
            continue
        # The next working day that is not itself a holiday or already a make-up day.
        candidate = entry.day + timedelta(days=1)
        while _is_weekend(candidate) or candidate in taken:
            candidate += timedelta(days=1)
        taken.add(candidate)
        make_ups.append(DayEntry(candidate, f"Nghỉ bù: {entry.name}", "make_up"))
    return sorted(holidays + make_ups, key=lambda entry: entry.day)
