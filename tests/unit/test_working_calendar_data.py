"""The calendar's data: the shipped holiday file, the lunar table, and an operator's override file."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from motcua_shared.calendar import (
    PROVINCE_TZ,
    CalendarData,
    CalendarDataError,
    WorkingCalendar,
    load_calendar,
    statutory_days_off,
)
from motcua_shared.calendar.data import build_data, shipped_raw
from motcua_shared.events import ProcessingTime, TimeUnit


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PROVINCE_TZ)


SHIPPED = build_data([(shipped_raw(), "holidays_vn.toml")])


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return load_calendar(override_file=None)


# -- the shipped data -------------------------------------------------------------------------

# Tết (mùng 1) and Hung Kings' day as Vietnamese officers know them.
KNOWN_LUNAR = {
    2019: (date(2019, 2, 5), date(2019, 4, 14)),
    2020: (date(2020, 1, 25), date(2020, 4, 2)),
    2021: (date(2021, 2, 12), date(2021, 4, 21)),
    2022: (date(2022, 2, 1), date(2022, 4, 10)),
    2023: (date(2023, 1, 22), date(2023, 4, 29)),
    2024: (date(2024, 2, 10), date(2024, 4, 18)),
    2025: (date(2025, 1, 29), date(2025, 4, 7)),
    2026: (date(2026, 2, 17), date(2026, 4, 26)),
    2027: (date(2027, 2, 6), date(2027, 4, 16)),
    # Where the Chinese calendar (UTC+8) differs: Vietnamese Tết 2030 is 2 February, not 3.
    2030: (date(2030, 2, 2), date(2030, 4, 12)),
}


def test_lunar_table_gives_the_known_tet_and_hung_kings_dates() -> None:
    lunar = shipped_raw()["lunar"]
    for year, (tet, hung_kings) in KNOWN_LUNAR.items():
        assert lunar[str(year)] == {"tet": tet, "hung_kings": hung_kings}, year
    assert set(map(int, lunar)) >= set(range(2019, 2061))


def test_every_decided_year_keeps_the_statutory_holidays_off(cal: WorkingCalendar) -> None:
    for year in range(2019, 2028):
        tet, hung_kings = KNOWN_LUNAR[year]
        listed = dict(cal.holidays(year))
        fixed = [date(year, 1, 1), tet, hung_kings, date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)]
        for day in fixed:
            assert day in listed, (year, day)
            assert not cal.is_working_day(day), (year, day)
        # Tết is five working days off (official days + make-up), whatever the weekends.
        break_days = [tet + timedelta(days=offset) for offset in range(-10, 11)]
        tet_weekdays_off = [d for d in break_days if d.weekday() < 5 and not cal.is_working_day(d)]
        assert len(tet_weekdays_off) == 5, (year, tet_weekdays_off)


def test_two_days_for_national_day_from_2021_one_before(cal: WorkingCalendar) -> None:
    def national_day_weekdays_off(year: int) -> int:
        days = [date(year, 8, 31) + timedelta(days=i) for i in range(7)]
        return sum(1 for d in days if d.weekday() < 5 and not cal.is_working_day(d))

    assert national_day_weekdays_off(2019) == 1
    assert national_day_weekdays_off(2020) == 1
    for year in (2021, 2022, 2024, 2025, 2027):
        assert national_day_weekdays_off(year) == 2, year
    assert national_day_weekdays_off(2023) == 2  # Fri 1/9 + Mon 4/9 (2/9 was a Saturday)
    assert national_day_weekdays_off(2026) == 3  # Mon 31/8 swapped with Sat 22/8, Tue 1/9, Wed 2/9


def test_the_provisional_2027_is_what_the_law_gives(cal: WorkingCalendar) -> None:
    raw = shipped_raw()["years"]["2027"]
    assert raw["status"] == "provisional"
    derived = {entry.day for entry in statutory_days_off(2027, SHIPPED.lunar[2027])}
    assert derived == {entry["date"] for entry in raw["days_off"]}


def test_rules_make_up_consecutive_weekend_holidays_in_order() -> None:
    # 2023 as the law alone gives it: Hung Kings Sat 29/4, 30/4 Sun, 1/5 Mon -> Tue 2/5, Wed 3/5.
    days = {entry.day: entry.kind for entry in statutory_days_off(2023, SHIPPED.lunar[2023])}
    assert days[date(2023, 5, 2)] == "make_up"
    assert days[date(2023, 5, 3)] == "make_up"
    assert date(2023, 5, 4) not in days


def test_without_lunar_dates_the_fixed_holidays_remain() -> None:
    cal = WorkingCalendar(data=CalendarData())
    assert not cal.is_working_day(date(2025, 4, 30))
    assert cal.is_working_day(date(2025, 1, 29))  # Tết unknown without the lunar table


# -- the operator's override file ----------------------------------------------------------------

OVERRIDE = """
[years.2025]
days_off = [
  { date = 2025-03-26, name = "Ngày giải phóng tỉnh (nghỉ theo quyết định của UBND tỉnh)" },
]
working_days = [
  { date = 2025-03-29, name = "Thứ Bảy làm việc bù" },
]
"""


def test_override_adds_a_holiday_and_a_working_saturday(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(OVERRIDE, encoding="utf-8")
    cal = load_calendar(override_file=path)
    assert not cal.is_working_day(date(2025, 3, 26))
    assert cal.is_working_day(date(2025, 3, 29))
    assert (date(2025, 3, 26), "Ngày giải phóng tỉnh (nghỉ theo quyết định của UBND tỉnh)") in cal.holidays(2025)
    # The shipped days remain.
    assert not cal.is_working_day(date(2025, 1, 29))
    # Tuesday 25 March 16:00 + 1 working day skips Wednesday 26: Thursday 27 March 16:00.
    one_day = ProcessingTime(value=Decimal(1), unit=TimeUnit.WORKING_DAYS)
    assert cal.due_at(at(2025, 3, 25, 16), one_day) == at(2025, 3, 27, 16)
    # Friday 28 March 16:00 + 1 working day: the Saturday is worked -> Saturday 29 March 16:00.
    assert cal.due_at(at(2025, 3, 28, 16), one_day) == at(2025, 3, 29, 16)


def test_override_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(OVERRIDE, encoding="utf-8")
    monkeypatch.setenv("MOTCUA_CALENDAR_FILE", str(path))
    assert not load_calendar().is_working_day(date(2025, 3, 26))
    monkeypatch.setenv("MOTCUA_CALENDAR_FILE", "")
    assert load_calendar().is_working_day(date(2025, 3, 26))


def test_override_removes_a_day_and_changes_the_periods(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(
        """
periods = [["07:00", "11:00"], ["13:30", "17:30"]]
[years.2025]
remove = [2025-05-02, 2025-04-26]     # the province keeps the ordinary week around 30/4
""",
        encoding="utf-8",
    )
    cal = load_calendar(override_file=path)
    assert cal.periods == ((time(7), time(11)), (time(13, 30), time(17, 30)))
    assert cal.is_working_day(date(2025, 5, 2))
    assert not cal.is_working_day(date(2025, 4, 26))
    assert cal.next_working_instant(at(2025, 5, 2, 11, 15)) == at(2025, 5, 2, 13, 30)
    assert cal.due_at(at(2025, 5, 2, 6), ProcessingTime(value=Decimal(1), unit=TimeUnit.WORKING_DAYS)) == at(
        2025, 5, 2, 17, 30
    )


def test_override_can_decide_a_future_year(tmp_path: Path) -> None:
    # The government decides 2028 differently from the law's default: Tết off 24-30 January.
    path = tmp_path / "calendar.toml"
    path.write_text(
        """
[years.2028]
status = "decided"
source = "Thông báo của Bộ Nội vụ (giả định cho kiểm thử)"
days_off = [
  { date = 2028-01-01, name = "Tết Dương lịch" },
  { date = 2028-01-24, name = "Tết" }, { date = 2028-01-25, name = "Tết" },
  { date = 2028-01-26, name = "Tết" }, { date = 2028-01-27, name = "Tết" },
  { date = 2028-01-28, name = "Tết" },
]
""",
        encoding="utf-8",
    )
    cal = load_calendar(override_file=path)
    assert not cal.is_working_day(date(2028, 1, 24))
    assert cal.is_working_day(date(2028, 1, 31))  # the law's make-up day is not added to a decided year
    assert cal.is_working_day(date(2028, 4, 4))  # nor Hung Kings' day, which this file forgot
    assert not load_calendar(override_file=None).is_working_day(date(2028, 4, 4))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('periods = [["11:30", "07:30"]]', "must be before"),
        ('periods = [["07:30", "12:00"], ["11:00", "17:00"]]', "overlap"),
        ('[years.2025]\ndays_off = [{ date = "30/4/2025" }]', "expected a date"),
        ('[years.2025]\ndays_off = [{ date = 2025-04-30, kind = "party" }]', "kind must be one of"),
        ("holidays = []", "unknown top-level keys"),
        ("periods = [[", "not valid TOML"),
    ],
)
def test_a_bad_override_file_is_refused_with_the_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarDataError, match=message):
        load_calendar(override_file=path)


def test_a_missing_override_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError, match="cannot read"):
        load_calendar(override_file=tmp_path / "absent.toml")


def test_periods_can_be_given_in_code() -> None:
    cal = WorkingCalendar(periods=[("08:00", "12:00"), ("13:00", "16:00")])
    assert cal.working_day_length == timedelta(hours=7)
    one_day = ProcessingTime(value=Decimal(1), unit=TimeUnit.WORKING_DAYS)
    # One working day is the whole day, whatever its length: Friday 15:00 -> Monday 15:00.
    assert cal.due_at(at(2024, 3, 15, 15), one_day) == at(2024, 3, 18, 15)
    # The holidays are still the shipped ones.
    assert not cal.is_working_day(date(2025, 1, 29))
