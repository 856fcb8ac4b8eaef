"""Properties of the working-time clock, over many random instants and durations (seeded)."""

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from motcua_shared.calendar import PROVINCE_TZ, WorkingCalendar, load_calendar
from motcua_shared.events import ProcessingTime, TimeUnit

CASES = 1500
FIRST = datetime(2018, 12, 1, tzinfo=PROVINCE_TZ)
SPAN_MINUTES = 60 * 24 * 365 * 10  # up to the end of 2028
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return load_calendar(override_file=None)


def random_instant(rng: random.Random) -> datetime:
    # Mostly whole minutes, sometimes odd seconds; some in other UTC offsets.
    moment = FIRST + timedelta(minutes=rng.randrange(SPAN_MINUTES), seconds=rng.choice([0, 0, 0, 17]))
    return moment.astimezone(rng.choice([PROVINCE_TZ, PROVINCE_TZ, UTC, NEW_YORK_WINTER]))


def random_duration(rng: random.Random) -> timedelta:
    return timedelta(minutes=rng.choice([rng.randrange(1, 8 * 60), rng.randrange(1, 8 * 60 * 40)]))


def is_inside_working_time(cal: WorkingCalendar, moment: datetime) -> bool:
    """Inside a working period of a working day, the period's end included."""
    local = moment.astimezone(PROVINCE_TZ)
    if not cal.is_working_day(local.date()):
        return False
    wall = local.time().replace(tzinfo=None)
    return any(start <= wall <= end for start, end in cal.periods)


def reference_between(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in [start, end), day by day and period by period: slow and obvious."""
    start, end = start.astimezone(PROVINCE_TZ), end.astimezone(PROVINCE_TZ)
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        if cal.is_working_day(day):
            for period_start, period_end in cal.periods:
                lo = max(start, datetime.combine(day, period_start, PROVINCE_TZ))
                hi = min(end, datetime.combine(day, period_end, PROVINCE_TZ))
                total += max(hi - lo, timedelta(0))
        day += timedelta(days=1)
    return total


def test_adding_then_measuring_gives_the_duration_back(cal: WorkingCalendar) -> None:
    rng = random.Random(20250429)
    for _ in range(CASES):
        start, duration = random_instant(rng), random_duration(rng)
        end = cal.add(start, duration)
        assert cal.working_time_between(start, end) == duration, (start, duration, end)


def test_an_added_duration_never_ends_outside_working_time(cal: WorkingCalendar) -> None:
    rng = random.Random(20240210)
    for _ in range(CASES):
        start, duration = random_instant(rng), random_duration(rng)
        end = cal.add(start, duration)
        assert is_inside_working_time(cal, end), (start, duration, end)
        assert end.utcoffset() == timedelta(hours=7)


def test_due_times_never_fall_outside_working_periods_or_on_a_holiday(cal: WorkingCalendar) -> None:
    rng = random.Random(20230902)
    for _ in range(CASES):
        received = random_instant(rng)
        unit = rng.choice(list(TimeUnit))
        value = Decimal(rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30, 45])) / rng.choice([1, 1, 1, 2])
        due = cal.due_at(received, ProcessingTime(value=value, unit=unit))
        assert is_inside_working_time(cal, due), (received, value, unit, due)
        assert due >= cal.next_working_instant(received)
        if unit is not TimeUnit.CALENDAR_DAYS:
            per_unit = cal.working_day_length if unit is TimeUnit.WORKING_DAYS else timedelta(hours=1)
            assert cal.working_time_between(received, due) == per_unit * float(value)


def test_working_time_between_agrees_with_a_day_by_day_count(cal: WorkingCalendar) -> None:
    rng = random.Random(20210903)
    for _ in range(400):
        start = random_instant(rng)
        end = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        assert cal.working_time_between(start, end) == reference_between(cal, start, end), (start, end)


def test_working_time_between_adds_up_over_consecutive_intervals(cal: WorkingCalendar) -> None:
    rng = random.Random(20220101)
    for _ in range(CASES):
        a, b, c = sorted(random_instant(rng) for _ in range(3))
        assert cal.working_time_between(a, c) == cal.working_time_between(a, b) + cal.working_time_between(b, c)


def test_adding_in_two_steps_is_adding_once(cal: WorkingCalendar) -> None:
    rng = random.Random(20190430)
    for _ in range(CASES):
        start, first, second = random_instant(rng), random_duration(rng), random_duration(rng)
        assert cal.add(cal.add(start, first), second) == cal.add(start, first + second)


def test_a_pause_moves_the_due_time_by_exactly_the_working_time_paused(cal: WorkingCalendar) -> None:
    rng = random.Random(20260217)
    for _ in range(CASES):
        start, duration = random_instant(rng), random_duration(rng)
        due = cal.add(start, duration)
        paused_at = start + (due - start) * rng.random()
        resumed_at = paused_at + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        paused = cal.working_time_between(paused_at, resumed_at)
        moved = cal.moved_due_at(due, paused_at, resumed_at)
        assert cal.working_time_between(start, moved) == duration + paused
        assert is_inside_working_time(cal, moved)


def test_next_working_instant_is_the_first_working_moment(cal: WorkingCalendar) -> None:
    rng = random.Random(20200125)
    for _ in range(CASES):
        moment = random_instant(rng)
        following = cal.next_working_instant(moment)
        assert following >= moment
        assert cal.working_time_between(moment, following) == timedelta(0)
        assert cal.working_time_between(following, following + timedelta(minutes=1)) == timedelta(minutes=1)


def test_fast_enough_for_an_inbox_of_thousands(cal: WorkingCalendar) -> None:
    rng = random.Random(7)
    instants = [random_instant(rng) for _ in range(5000)]
    thirty_days = ProcessingTime(value=Decimal(30), unit=TimeUnit.WORKING_DAYS)
    began = clock.perf_counter()
    for received in instants:
        due = cal.due_at(received, thirty_days)
        cal.working_time_remaining(received, due)
    elapsed = clock.perf_counter() - began
    # About 0.2 s here; the bound only catches minute-by-minute iteration.
    assert elapsed < 5, elapsed


def test_whole_years_of_working_days() -> None:
    cal = load_calendar(override_file=None)
    # 2024: 262 weekdays, 12 of them off (1/1; Tết 8, 9, 12, 13, 14/2; 18/4; 29/4 swapped; 30/4;
    # 1/5; 2/9; 3/9), plus Saturday 4/5 worked.
    start = datetime.combine(date(2024, 1, 1), time(), PROVINCE_TZ)
    end = datetime.combine(date(2025, 1, 1), time(), PROVINCE_TZ)
    assert cal.working_time_between(start, end) == timedelta(hours=8) * (262 - 12 + 1)
