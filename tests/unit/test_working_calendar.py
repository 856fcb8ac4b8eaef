"""The working-time calendar on dates an officer at a one-stop counter would recognise."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from motcua_shared.calendar import PROVINCE_TZ, WorkingCalendar, load_calendar
from motcua_shared.events import ProcessingTime, TimeUnit


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return load_calendar(override_file=None)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PROVINCE_TZ)


def days(value: str | int, unit: TimeUnit = TimeUnit.WORKING_DAYS) -> ProcessingTime:
    return ProcessingTime(value=Decimal(value), unit=unit)


H = timedelta(hours=1)


# -- due_at -------------------------------------------------------------------------------------


def test_friday_afternoon_plus_one_working_day_is_monday_same_time(cal: WorkingCalendar) -> None:
    assert cal.due_at(at(2024, 3, 15, 16), days(1)) == at(2024, 3, 18, 16)


def test_received_on_saturday_starts_the_clock_monday_morning(cal: WorkingCalendar) -> None:
    assert cal.next_working_instant(at(2024, 3, 16, 9)) == at(2024, 3, 18, 7, 30)
    assert cal.due_at(at(2024, 3, 16, 9), days(1, TimeUnit.WORKING_HOURS)) == at(2024, 3, 18, 8, 30)
    # A whole working day from Monday 07:30 ends Monday 17:00, not Tuesday 07:30.
    assert cal.due_at(at(2024, 3, 16, 9), days(1)) == at(2024, 3, 18, 17)


def test_received_in_the_evening_starts_next_morning(cal: WorkingCalendar) -> None:
    assert cal.due_at(at(2024, 3, 19, 18, 30), days(2)) == at(2024, 3, 21, 17)


def test_three_working_days_skip_the_weekend(cal: WorkingCalendar) -> None:
    # Thursday 10:00 + 3 working days: Fri, Mon, Tue -> Tuesday 10:00.
    assert cal.due_at(at(2024, 3, 21, 10), days(3)) == at(2024, 3, 26, 10)


def test_working_hours_cross_the_lunch_break(cal: WorkingCalendar) -> None:
    # 11:00 + 2 working hours: 30 minutes before lunch, 90 after -> 14:30.
    assert cal.due_at(at(2024, 3, 19, 11), days(2, TimeUnit.WORKING_HOURS)) == at(2024, 3, 19, 14, 30)


def test_half_a_working_day(cal: WorkingCalendar) -> None:
    assert cal.due_at(at(2024, 3, 19, 7, 30), days("0.5")) == at(2024, 3, 19, 11, 30)


def test_a_duration_ending_at_the_end_of_a_period_ends_there(cal: WorkingCalendar) -> None:
    assert cal.add(at(2024, 3, 19, 13), 4 * H) == at(2024, 3, 19, 17)
    assert cal.add(at(2024, 3, 19, 7, 30), 4 * H) == at(2024, 3, 19, 11, 30)


def test_calendar_days_landing_on_a_weekend_end_at_the_end_of_monday(cal: WorkingCalendar) -> None:
    # Monday 4 March 2024 09:00 + 5 calendar days = Saturday 9 March -> Monday 11 March 17:00.
    assert cal.due_at(at(2024, 3, 4, 9), days(5, TimeUnit.CALENDAR_DAYS)) == at(2024, 3, 11, 17)
    # Landing on a working day, the deadline ends at the end of that day.
    assert cal.due_at(at(2024, 3, 4, 9), days(3, TimeUnit.CALENDAR_DAYS)) == at(2024, 3, 7, 17)


def test_calendar_days_landing_on_a_holiday_move_past_it(cal: WorkingCalendar) -> None:
    # 15 calendar days from Tuesday 15 April 2025 10:00 = Wednesday 30 April (holiday; the break
    # runs to Sunday 4 May) -> the end of Monday 5 May.
    assert cal.due_at(at(2025, 4, 15, 10), days(15, TimeUnit.CALENDAR_DAYS)) == at(2025, 5, 5, 17)


def test_calendar_days_count_from_the_clock_start(cal: WorkingCalendar) -> None:
    # Received Friday 18:00: the clock starts Monday 07:30; + 2 calendar days = Wednesday, to its
    # end (17:00), as two working days from Monday 07:30 end at Tuesday's end, not at 07:30.
    assert cal.due_at(at(2024, 3, 15, 18), days(2, TimeUnit.CALENDAR_DAYS)) == at(2024, 3, 20, 17)
    assert cal.due_at(at(2024, 3, 15, 18), days(2)) == at(2024, 3, 19, 17)


def test_inputs_with_any_utc_offset_give_the_same_due_time(cal: WorkingCalendar) -> None:
    local = at(2024, 3, 15, 16)
    utc = datetime(2024, 3, 15, 9, tzinfo=UTC)
    assert cal.due_at(utc, days(1)) == cal.due_at(local, days(1)) == at(2024, 3, 18, 16)
    assert cal.due_at(utc, days(1)).utcoffset() == timedelta(hours=7)


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_working_instant(datetime(2024, 3, 15, 16))


# -- next working instant, working time between ---------------------------------------------------


def test_next_working_instant_at_lunch_is_one_pm(cal: WorkingCalendar) -> None:
    assert cal.next_working_instant(at(2024, 3, 19, 11, 45)) == at(2024, 3, 19, 13)
    assert cal.next_working_instant(at(2024, 3, 19, 10, 5)) == at(2024, 3, 19, 10, 5)
    assert cal.next_working_instant(at(2024, 3, 19, 11, 30)) == at(2024, 3, 19, 13)
    assert cal.next_working_instant(at(2024, 3, 19, 17)) == at(2024, 3, 20, 7, 30)
    assert cal.next_working_instant(at(2024, 3, 19, 6)) == at(2024, 3, 19, 7, 30)


def test_working_time_between_across_lunch_and_a_weekend(cal: WorkingCalendar) -> None:
    # Friday 11:00 -> Monday 14:00: Fri 0.5 h + 4 h, Mon 4 h + 1 h = 9.5 h.
    assert cal.working_time_between(at(2024, 3, 15, 11), at(2024, 3, 18, 14)) == timedelta(hours=9, minutes=30)
    # Entirely inside the lunch break, or a weekend: nothing.
    assert cal.working_time_between(at(2024, 3, 15, 11, 40), at(2024, 3, 15, 12, 50)) == timedelta(0)
    assert cal.working_time_between(at(2024, 3, 16, 8), at(2024, 3, 17, 16)) == timedelta(0)
    # Reversed: zero.
    assert cal.working_time_between(at(2024, 3, 18, 14), at(2024, 3, 15, 11)) == timedelta(0)


def test_remaining_working_time_is_negative_once_overdue(cal: WorkingCalendar) -> None:
    assert cal.working_time_remaining(at(2024, 3, 18, 9), at(2024, 3, 18, 16)) == timedelta(hours=5, minutes=30)
    assert cal.working_time_remaining(at(2024, 3, 19, 8, 30), at(2024, 3, 18, 16)) == -2 * H


def test_a_pause_moves_the_due_time_by_the_working_time_paused(cal: WorkingCalendar) -> None:
    # Due Wednesday 10:00; paused Monday 15:00, resumed Tuesday 09:30: 2 h + 2 h = 4 working hours;
    # Wednesday 10:00 + 4 h = 1.5 h before lunch + 2.5 h after = 15:30.
    moved = cal.moved_due_at(at(2024, 3, 20, 10), at(2024, 3, 18, 15), at(2024, 3, 19, 9, 30))
    assert moved == at(2024, 3, 20, 15, 30)
    # A pause over a weekend only costs its working time.
    assert cal.moved_due_at(at(2024, 3, 20, 10), at(2024, 3, 15, 17), at(2024, 3, 18, 7, 30)) == at(2024, 3, 20, 10)


# -- holidays ---------------------------------------------------------------------------------


def test_tet_2024_is_off_from_8_to_14_february(cal: WorkingCalendar) -> None:
    for day in range(8, 15):
        assert not cal.is_working_day(date(2024, 2, day)), day
    assert cal.is_working_day(date(2024, 2, 7))
    assert cal.is_working_day(date(2024, 2, 15))
    # Received Wednesday 7 Feb 14:00 (the day before the break), 1 working day: Thursday 15 Feb 14:00.
    assert cal.due_at(at(2024, 2, 7, 14), days(1)) == at(2024, 2, 15, 14)


def test_tet_2025_nine_days_from_25_january_to_2_february(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 1, 24))
    assert [cal.is_working_day(date(2025, 1, d)) for d in range(25, 32)] == [False] * 7
    assert not cal.is_working_day(date(2025, 2, 1))
    assert not cal.is_working_day(date(2025, 2, 2))
    assert cal.is_working_day(date(2025, 2, 3))
    names = dict(cal.holidays(2025))
    assert "mùng 1" in names[date(2025, 1, 29)]
    # 5 working days from Thursday 23 Jan 2025 09:00: Thu 23 (rest), Fri 24, then 3 Feb onward.
    assert cal.due_at(at(2025, 1, 23, 9), days(5)) == at(2025, 2, 6, 9)


def test_30_april_and_1_may_2025_with_the_saturday_26_april_worked(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 4, 26))  # Saturday worked in exchange for Friday 2 May
    for day in (date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2025, 5, 5))
    # Received Friday 25 April 16:00 with 1 working day: the Saturday counts -> Saturday 26 April 16:00.
    assert cal.due_at(at(2025, 4, 25, 16), days(1)) == at(2025, 4, 26, 16)
    # Received Tuesday 29 April 10:00 with 2 working days: Tue rest of day, then Monday 5 May.
    assert cal.due_at(at(2025, 4, 29, 10), days(2)) == at(2025, 5, 6, 10)
    assert [name for _, name in cal.working_weekend_days(2025)] == ["Làm bù cho ngày 2/5/2025"]


def test_30_april_2024_swap_of_monday_29_april_with_saturday_4_may(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2024, 4, 29))
    assert cal.is_working_day(date(2024, 5, 4))
    # From Friday 26 April evening to Thursday 2 May morning: no working time at all.
    assert cal.working_time_between(at(2024, 4, 26, 17), at(2024, 5, 2, 7, 30)) == timedelta(0)
    # Saturday 4 May counts as a full working day; Sunday does not.
    assert cal.working_time_between(at(2024, 5, 3, 17), at(2024, 5, 6, 7, 30)) == 8 * H


def test_national_day_2025_with_its_adjacent_day_1_september(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2025, 9, 1))
    assert not cal.is_working_day(date(2025, 9, 2))
    assert cal.is_working_day(date(2025, 9, 3))
    # Friday 29 August 2025 16:00 + 1 working day -> Wednesday 3 September 16:00.
    assert cal.due_at(at(2025, 8, 29, 16), days(1)) == at(2025, 9, 3, 16)


def test_national_day_2024_adjacent_day_is_3_september(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2024, 9, 3))
    assert cal.is_working_day(date(2024, 9, 4))


def test_holidays_on_a_weekend_are_made_up_on_the_next_working_day(cal: WorkingCalendar) -> None:
    # 2023: Hung Kings' day on Saturday 29/4, 30/4 on Sunday -> Tuesday 2/5 and Wednesday 3/5 off.
    assert [cal.is_working_day(date(2023, 5, d)) for d in (1, 2, 3, 4)] == [False, False, False, True]
    # 2022: New Year's Day on a Saturday -> Monday 3 January off.
    assert not cal.is_working_day(date(2022, 1, 3))
    # 2026: Hung Kings' day on Sunday 26 April -> Monday 27 April off.
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.is_working_day(date(2026, 4, 28))


def test_hung_kings_day_follows_the_lunar_calendar(cal: WorkingCalendar) -> None:
    for known in (date(2024, 4, 18), date(2025, 4, 7), date(2026, 4, 26)):
        assert "Hùng Vương" in dict(cal.holidays(known.year))[known]
    assert not cal.is_working_day(date(2024, 4, 18))
    assert not cal.is_working_day(date(2025, 4, 7))


def test_fixed_holidays_are_listed_each_year(cal: WorkingCalendar) -> None:
    for year in range(2019, 2031):
        listed = {day for day, _ in cal.holidays(year)}
        assert {date(year, 1, 1), date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= listed, year


def test_years_beyond_the_decided_ones_still_skip_tet(cal: WorkingCalendar) -> None:
    # Tết Mậu Thân 2028 is Wednesday 26 January (derived from the law and the lunar table).
    assert not cal.is_working_day(date(2028, 1, 26))
    assert not cal.is_working_day(date(2028, 1, 25))
    assert cal.is_working_day(date(2028, 1, 24))
