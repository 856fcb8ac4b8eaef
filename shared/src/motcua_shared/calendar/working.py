"""The legal working-time clock: working periods, weekends, holidays, and arithmetic on them.

All arithmetic is done on local wall-clock time in Asia/Ho_Chi_Minh (UTC+07:00 all year, no
daylight saving since 1975), in whole-day steps, never minute by minute.
"""

import logging
import threading
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from ..events import ProcessingTime, TimeUnit
from .data import CalendarData, Period, build_data, parse_periods, shipped_raw
from .rules import SATURDAY, DayEntry, statutory_days_off

PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
# No legal duration comes close; this only stops a runaway loop on absurd input.
MAX_CALENDAR_SPAN_DAYS = 366 * 50

log = logging.getLogger(__name__)


class WorkingCalendar:
    """Working time of the province's agencies.

    `periods` are the working periods of a working day (default 07:30-11:30 and 13:00-17:00);
    `data` is the holiday data (default: the data shipped in the package, without any operator
    override; use `load_calendar()` to get the override too). A working day is a Monday-Friday
    that is not a day off, or a weekend day listed as worked (a swapped Saturday).

    Instants are half-open on the left of a period and closed on the right for durations: the
    clock runs in [07:30, 11:30) and [13:00, 17:00), and a duration that ends exactly at the end
    of a period ends there (17:00), not at the next period's start.
    """

    def __init__(
        self, periods: Sequence[tuple[time | str, time | str]] | None = None, *, data: CalendarData | None = None
    ) -> None:
        self._data = data if data is not None else build_data([(shipped_raw(), "holidays_vn.toml")])
        chosen: tuple[Period, ...] = parse_periods(periods) if periods is not None else self._data.periods
        self._periods: tuple[tuple[timedelta, timedelta], ...] = tuple(
            (_since_midnight(start), _since_midnight(end)) for start, end in chosen
        )
        self._day_length = sum((end - start for start, end in self._periods), ZERO)
        # Years are materialised on first use; the lock keeps that safe from worker threads.
        self._lock = threading.Lock()
        self._loaded_years: set[int] = set()
        self._entries: dict[date, DayEntry] = {}  # every day off / day worked, for holidays()
        self._off: set[int] = set()  # ordinals of Monday-Friday days off
        self._worked: set[int] = set()  # ordinals of weekend days worked
        self._off_sorted: list[int] = []
        self._worked_sorted: list[int] = []

    # -- what the calendar is -------------------------------------------------------------------

    @property
    def periods(self) -> tuple[tuple[time, time], ...]:
        """The working periods of a working day, local time."""
        return tuple((_clock(start), _clock(end)) for start, end in self._periods)

    @property
    def working_day_length(self) -> timedelta:
        """Working time in one working day (8 hours with the default periods)."""
        return self._day_length

    def is_working_day(self, day: date) -> bool:
        """True when `day` has working periods: a weekday not off, or a weekend day worked."""
        return self._is_working_ordinal(day.toordinal())

    def holidays(self, year: int) -> list[tuple[date, str]]:
        """Days off of `year` (statutory holidays, make-up and swapped days), sorted, with their names.

        Statutory holidays that fall on a weekend are listed too; working Saturdays are not (see
        `working_weekend_days`).
        """
        self._ensure_years(year, year)
        return [
            (day, entry.name)
            for day, entry in sorted(self._entries.items())
            if day.year == year and entry.kind != "working"
        ]

    def working_weekend_days(self, year: int) -> list[tuple[date, str]]:
        """Saturdays (or Sundays) worked in `year` in exchange for a swapped day off."""
        self._ensure_years(year, year)
        return [
            (day, entry.name)
            for day, entry in sorted(self._entries.items())
            if day.year == year and entry.kind == "working"
        ]

    # -- arithmetic ------------------------------------------------------------------------------

    def next_working_instant(self, at: datetime) -> datetime:
        """`at` itself when it is inside a working period, else the start of the next one."""
        local = _local(at)
        day = local.date()
        offset = local - _midnight(day)
        if self.is_working_day(day):
            for start, end in self._periods:
                if offset < end:
                    return _aware(_midnight(day) + max(offset, start))
        day = self._next_working_day(day)
        return _aware(_midnight(day) + self._periods[0][0])

    def add(self, start: datetime, working: timedelta) -> datetime:
        """The instant at which `working` working time has elapsed, counting from `start`.

        Time outside working periods does not count, so a `start` outside them effectively starts
        at the next working instant. A duration that ends exactly at the end of a period ends
        there (e.g. 17:00). Adding zero returns `start` unchanged (in PROVINCE_TZ).
        """
        if working < ZERO:
            raise ValueError("working time to add must not be negative")
        local = _local(start)
        if working == ZERO:
            return _aware(local)
        remaining = working
        day = local.date()
        if self.is_working_day(day):
            offset = local - _midnight(day)
            for period_start, period_end in self._periods:
                if offset >= period_end:
                    continue
                begin = max(offset, period_start)
                available = period_end - begin
                if remaining <= available:
                    return _aware(_midnight(day) + begin + remaining)
                remaining -= available
        # Whole days from here on.
        for _ in range(MAX_CALENDAR_SPAN_DAYS):
            day = self._next_working_day(day)
            if remaining <= self._day_length:
                return _aware(self._within_day(day, remaining))
            remaining -= self._day_length
        raise ValueError(f"cannot add {working}: more than {MAX_CALENDAR_SPAN_DAYS} days of calendar")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when `end` is not after `start`."""
        local_start, local_end = _local(start), _local(end)
        if local_end <= local_start:
            return ZERO
        first, last = local_start.date(), local_end.date()
        worked_start = self._worked_by(local_start) if self.is_working_day(first) else ZERO
        worked_end = self._worked_by(local_end) if self.is_working_day(last) else ZERO
        if first == last:
            return worked_end - worked_start
        first_day = (self._day_length - worked_start) if self.is_working_day(first) else ZERO
        whole_days = self._count_working_days(first.toordinal() + 1, last.toordinal())
        return first_day + self._day_length * whole_days + worked_end

    def working_time_remaining(self, now: datetime, due_at: datetime) -> timedelta:
        """Working time left until `due_at`; negative (the working time overdue) once it has passed."""
        if due_at >= now:
            return self.working_time_between(now, due_at)
        return -self.working_time_between(due_at, now)

    def due_at(self, received_at: datetime, processing_time: ProcessingTime) -> datetime:
        """When a dossier received at `received_at` is due, by the procedure's legal processing time.

        - The clock starts at `next_working_instant(received_at)`: a dossier received in the evening,
          on a weekend or on a holiday starts counting at the next working period.
        - working_days N: N working days of working time (N x 8 working hours with the default
          periods), so Friday 16:00 + 1 working day = Monday 16:00.
        - working_hours N: N working hours.
        - calendar_days N: the day the clock starts + N calendar days, to the end of that day's
          working time (17:00); when that day is not a working day (weekend, holiday), to the end of
          the next working day (Civil Code 2015 art. 148): Monday 09:00 + 5 calendar days =
          Saturday -> Monday 17:00, never Monday 07:30.
        Whatever the unit, a deadline ends within working time, at a period's end rather than the
        next period's start: one that ends with a working day ends at its 17:00. Fractional values
        are allowed. The result is aware, in PROVINCE_TZ.
        """
        value = Fraction(processing_time.value)
        if value <= 0:
            raise ValueError("processing time must be positive")
        clock_start = self.next_working_instant(received_at)
        unit = processing_time.unit
        if unit == TimeUnit.WORKING_DAYS:
            return self.add(clock_start, _scaled(self._day_length, value))
        if unit == TimeUnit.WORKING_HOURS:
            return self.add(clock_start, _scaled(timedelta(hours=1), value))
        if unit == TimeUnit.CALENDAR_DAYS:
            return _aware(self._end_of_working_day(_local(clock_start) + _scaled(ONE_DAY, value)))
        raise ValueError(f"unknown processing time unit {unit!r}")

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """`due_at` moved later by the working time between `paused_at` and `resumed_at` (a pause)."""
        return self.add(due_at, self.working_time_between(paused_at, resumed_at))

    # -- internals -------------------------------------------------------------------------------

    def _end_of_working_day(self, local: datetime) -> datetime:
        """The end of the last period of `local`'s day, or of the next working day when `local`'s
        day is off or its working time is over."""
        day, day_end = local.date(), self._periods[-1][1]
        if not self.is_working_day(day) or local - _midnight(day) > day_end:
            day = self._next_working_day(day)
        return _midnight(day) + day_end

    def _worked_by(self, local: datetime) -> timedelta:
        """Working time from the start of local's (working) day to `local`."""
        offset = local - _midnight(local.date())
        return sum((min(max(offset - start, ZERO), end - start) for start, end in self._periods), ZERO)

    def _within_day(self, day: date, working: timedelta) -> datetime:
        """The instant when `working` (0 < working <= day length) has elapsed since `day` began."""
        for start, end in self._periods:
            if working <= end - start:
                return _midnight(day) + start + working
            working -= end - start
        raise AssertionError("working time beyond the working day")

    def _next_working_day(self, day: date) -> date:
        for _ in range(MAX_CALENDAR_SPAN_DAYS):
            day += ONE_DAY
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {MAX_CALENDAR_SPAN_DAYS} days after {day}")

    def _is_working_ordinal(self, ordinal: int) -> bool:
        day = date.fromordinal(ordinal)
        self._ensure_years(day.year, day.year)
        if (ordinal - 1) % 7 < SATURDAY:  # ordinal 1 (0001-01-01) was a Monday
            return ordinal not in self._off
        return ordinal in self._worked

    def _count_working_days(self, first: int, stop: int) -> int:
        """Working days among ordinals [first, stop)."""
        if stop <= first:
            return 0
        self._ensure_years(date.fromordinal(first).year, date.fromordinal(stop - 1).year)
        weeks, rest = divmod(stop - first, 7)
        weekday = (first - 1) % 7
        weekdays = weeks * 5 + sum(1 for i in range(rest) if (weekday + i) % 7 < SATURDAY)
        off = bisect_left(self._off_sorted, stop) - bisect_left(self._off_sorted, first)
        worked = bisect_left(self._worked_sorted, stop) - bisect_left(self._worked_sorted, first)
        return weekdays - off + worked

    def _ensure_years(self, first: int, last: int) -> None:
        if all(year in self._loaded_years for year in range(first, last + 1)):
            return
        with self._lock:
            missing = [year for year in range(first, last + 1) if year not in self._loaded_years]
            for year in missing:
                self._load_year(year)
            self._off_sorted = sorted(self._off)
            self._worked_sorted = sorted(self._worked)
            # Marked loaded last, so a reader never sees a year half-loaded.
            self._loaded_years.update(missing)

    def _load_year(self, year: int) -> None:
        data = self._data
        entries: dict[date, DayEntry] = {}
        if year not in data.decided_years:
            lunar = data.lunar.get(year)
            if lunar is None:
                log.warning("no lunar dates for %s: Tết and Hung Kings' day are not days off that year", year)
            entries = {
                entry.day: entry
                for entry in statutory_days_off(year, lunar)
                if entry.day.year == year and entry.day not in data.removed
            }
        for table in (data.days_off, data.working_days):
            entries.update((day, entry) for day, entry in table.items() if day.year == year)
        for day, entry in entries.items():
            self._entries[day] = entry
            ordinal = day.toordinal()
            weekend = day.weekday() >= SATURDAY
            if entry.kind == "working" and weekend:
                self._worked.add(ordinal)
            elif entry.kind != "working" and not weekend:
                self._off.add(ordinal)


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def _clock(offset: timedelta) -> time:
    return (datetime.min + offset).time()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _local(moment: datetime) -> datetime:
    """`moment` as naive local wall-clock time in PROVINCE_TZ; naive input is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required (any UTC offset)")
    return moment.astimezone(PROVINCE_TZ).replace(tzinfo=None)


def _aware(local: datetime) -> datetime:
    return local.replace(tzinfo=PROVINCE_TZ)


def _scaled(unit: timedelta, factor: Fraction) -> timedelta:
    microseconds = Fraction(unit // timedelta(microseconds=1)) * factor
    return timedelta(microseconds=round(microseconds))
