"""Where a deadline ends, as properties over random receipts and durations (hypothesis): whatever the
unit, a deadline ends within working time at a period's end, never at the next period's start; a
deadline in calendar days ends at the end of its last day, or of the next working day when that day
is off (calendar README, "Where a deadline ends")."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from motcua_shared.calendar import PROVINCE_TZ, WorkingCalendar, load_calendar
from motcua_shared.events import ProcessingTime, TimeUnit

CAL = load_calendar(override_file=None)
OPENING, CLOSING = CAL.periods[0][0], CAL.periods[-1][1]  # 07:30, 17:00

receipts = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(PROVINCE_TZ)
).map(lambda moment: moment.replace(microsecond=0))
whole_days = st.integers(min_value=1, max_value=60)


def local(moment: datetime) -> datetime:
    return moment.astimezone(PROVINCE_TZ)


def is_period_start(moment: datetime) -> bool:
    return local(moment).time() in {start for start, _ in CAL.periods}


def is_inside_working_time(moment: datetime) -> bool:
    wall = local(moment).time()
    return CAL.is_working_day(local(moment).date()) and any(s <= wall <= e for s, e in CAL.periods)


def first_working_day_from(day: date) -> date:
    while not CAL.is_working_day(day):
        day += timedelta(days=1)
    return day


@settings(max_examples=400, deadline=None)
@given(receipts, st.sampled_from(list(TimeUnit)), whole_days, st.sampled_from([1, 1, 2, 4]))
def test_a_deadline_of_any_unit_ends_at_a_period_end_never_at_the_next_start(
    received: datetime, unit: TimeUnit, value: int, divisor: int
) -> None:
    due = CAL.due_at(received, ProcessingTime(value=Decimal(value) / divisor, unit=unit))
    assert is_inside_working_time(due)
    assert not is_period_start(due), "a deadline must not end at an opening (07:30, 13:00)"
    assert due >= CAL.next_working_instant(received)


@settings(max_examples=400, deadline=None)
@given(receipts, whole_days)
def test_calendar_days_end_at_the_end_of_their_last_day_or_of_the_next_working_day(
    received: datetime, value: int
) -> None:
    due = local(CAL.due_at(received, ProcessingTime(value=Decimal(value), unit=TimeUnit.CALENDAR_DAYS)))
    last_day = local(CAL.next_working_instant(received)).date() + timedelta(days=value)
    assert (due.date(), due.time()) == (first_working_day_from(last_day), CLOSING)


@settings(max_examples=300, deadline=None)
@given(receipts, whole_days)
def test_from_an_opening_working_and_calendar_days_both_end_at_the_close_of_a_working_day(
    received: datetime, value: int
) -> None:
    # The same rule for every unit: counted from 07:30, N working days use up N whole working days
    # and end at the close of the last (17:00), like a deadline in calendar days, not at 07:30 next.
    opening = datetime.combine(first_working_day_from(local(received).date() + timedelta(days=1)), OPENING, PROVINCE_TZ)
    for unit in (TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS):
        due = local(CAL.due_at(opening, ProcessingTime(value=Decimal(value), unit=unit)))
        assert due.time() == CLOSING, (unit, due)


@settings(max_examples=300, deadline=None)
@given(receipts, st.decimals(min_value=Decimal("0.25"), max_value=Decimal(45), places=2))
def test_a_fractional_calendar_deadline_ends_at_the_first_close_not_before_its_landing(
    received: datetime, value: Decimal
) -> None:
    landing = local(CAL.next_working_instant(received)) + timedelta(days=float(value))
    due = local(CAL.due_at(received, ProcessingTime(value=value, unit=TimeUnit.CALENDAR_DAYS)))
    assert due.time() == CLOSING and CAL.is_working_day(due.date())
    assert due >= landing - timedelta(seconds=1)  # the landing rounded to the microsecond
    day_before = due.date() - timedelta(days=1)
    while not CAL.is_working_day(day_before):
        day_before -= timedelta(days=1)
    assert datetime.combine(day_before, CLOSING, PROVINCE_TZ) < landing  # the first such close


@pytest.mark.parametrize("periods", [[("08:00", "12:00"), ("13:30", "17:30")], [("07:00", "16:00")]])
def test_the_end_of_a_working_day_follows_the_configured_periods(periods: list[tuple[str, str]]) -> None:
    cal = WorkingCalendar(periods=periods)
    saturday = datetime(2024, 3, 9, 10, tzinfo=PROVINCE_TZ)
    due = cal.due_at(saturday - timedelta(days=5), ProcessingTime(value=Decimal(5), unit=TimeUnit.CALENDAR_DAYS))
    assert due == datetime.combine(date(2024, 3, 11), time.fromisoformat(periods[-1][1]), PROVINCE_TZ)
