"""Calendar dates in the province's time zone, timeliness and percentages, as the reports count them."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from motcua_shared.calendar import PROVINCE_TZ


class Timeliness(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def local_date(instant: datetime) -> date:
    """The calendar date of `instant` in Asia/Ho_Chi_Minh (a result at 23:30+07:00 is that day, not UTC's)."""
    return instant.astimezone(PROVINCE_TZ).date()


def start_of(day: date) -> datetime:
    """The first instant of `day` in the province, in UTC."""
    return datetime.combine(day, time.min, tzinfo=PROVINCE_TZ).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The first instant after `day` in the province, in UTC (exclusive end)."""
    return start_of(day + timedelta(days=1))


def classify(result_at: datetime, due_at: datetime) -> Timeliness:
    """Early, on time or late, comparing calendar dates (not instants) in the province's time zone."""
    result_day, due_day = local_date(result_at), local_date(due_at)
    if result_day < due_day:
        return Timeliness.EARLY
    if result_day == due_day:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def percent(count: int, total: int) -> float:
    """`count` of `total` in percent, rounded half up to two decimals; 0.0 when the total is zero (a
    share of an empty total, as CONTRACT.md's example shows it)."""
    if total <= 0:
        return 0.0
    value = (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(value)


def rate(count: int, base: int) -> float | None:
    """An indicator's `count` of `base` in percent, or None when there is no base: a rate of nothing is
    not assessed (0.0 would read as a failure). A share of a contract total uses `percent`."""
    return percent(count, base) if base > 0 else None


def on_time_rate(early: int, on_time: int, late: int) -> float | None:
    """(early + on time) / (early + on time + late) x 100, two decimals; None when nothing was resolved
    early, on time or late."""
    return rate(early + on_time, early + on_time + late)
