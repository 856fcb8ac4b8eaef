"""Calendar data: the shipped holiday file, an operator's override file, and what they say together."""

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from .rules import DayEntry, LunarDates

SHIPPED_FILE = "holidays_vn.toml"
DAY_OFF_KINDS = frozenset({"holiday", "make_up", "swapped"})

Period = tuple[time, time]
DEFAULT_PERIODS: tuple[Period, ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))


class CalendarDataError(ValueError):
    """A calendar file (shipped or an operator's) that cannot be used; the message says where."""


@dataclass
class CalendarData:
    """Everything a WorkingCalendar is built from. Later layers (override files) win."""

    periods: tuple[Period, ...] = DEFAULT_PERIODS
    days_off: dict[date, DayEntry] = field(default_factory=dict)
    working_days: dict[date, DayEntry] = field(default_factory=dict)
    # Years whose days off are set by a file (status "decided" or "provisional"); other years are
    # derived from the law by rules.py, with the files' entries laid over them.
    decided_years: dict[int, str] = field(default_factory=dict)
    removed: set[date] = field(default_factory=set)  # dates a file took out of the rule-derived days
    sources: dict[int, str] = field(default_factory=dict)
    lunar: dict[int, LunarDates] = field(default_factory=dict)

    def apply(self, raw: Mapping[str, Any], origin: str) -> None:
        """Lay one file's content over this data (see README.md for the format)."""
        unknown = set(raw) - {"periods", "lunar", "years"}
        if unknown:
            raise CalendarDataError(f"{origin}: unknown top-level keys {sorted(unknown)}")
        if "periods" in raw:
            self.periods = parse_periods(raw["periods"], origin=f"{origin}: periods")
        for year_key, dates in _table(raw.get("lunar", {}), f"{origin}: lunar").items():
            year = _year(year_key, f"{origin}: lunar")
            where = f"{origin}: lunar.{year_key}"
            lunar = _table(dates, where)
            self.lunar[year] = LunarDates(
                tet=_date(lunar.get("tet"), f"{where}.tet"),
                hung_kings=_date(lunar.get("hung_kings"), f"{where}.hung_kings"),
            )
        for year_key, content in _table(raw.get("years", {}), f"{origin}: years").items():
            self._apply_year(
                _year(year_key, f"{origin}: years"),
                _table(content, f"{origin}: years.{year_key}"),
                f"{origin}: years.{year_key}",
            )

    def _apply_year(self, year: int, content: Mapping[str, Any], where: str) -> None:
        unknown = set(content) - {"status", "source", "days_off", "working_days", "remove"}
        if unknown:
            raise CalendarDataError(f"{where}: unknown keys {sorted(unknown)}")
        # With a status, the year is what the files list; without one, entries only add or remove.
        if "status" in content:
            self.decided_years[year] = str(content["status"])
        if "source" in content:
            self.sources[year] = str(content["source"])
        for index, value in enumerate(_list(content.get("remove", []), f"{where}.remove")):
            day = _date(value, f"{where}.remove[{index}]")
            self.days_off.pop(day, None)
            self.working_days.pop(day, None)
            self.removed.add(day)
        for index, item in enumerate(_list(content.get("days_off", []), f"{where}.days_off")):
            entry = _entry(item, f"{where}.days_off[{index}]", default_kind="holiday")
            if entry.kind not in DAY_OFF_KINDS:
                raise CalendarDataError(f"{where}.days_off[{index}]: kind must be one of {sorted(DAY_OFF_KINDS)}")
            self.working_days.pop(entry.day, None)
            self.removed.discard(entry.day)
            self.days_off[entry.day] = entry
        for index, item in enumerate(_list(content.get("working_days", []), f"{where}.working_days")):
            entry = _entry(item, f"{where}.working_days[{index}]", default_kind="working")
            self.days_off.pop(entry.day, None)
            self.removed.discard(entry.day)
            self.working_days[entry.day] = DayEntry(entry.day, entry.name, "working")


def parse_periods(value: Any, *, origin: str = "periods") -> tuple[Period, ...]:
    """Working periods from [["07:30", "11:30"], ...] or [(time, time), ...]: sorted, disjoint, non-empty."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise CalendarDataError(f"{origin}: expected a non-empty list of [start, end] pairs")
    periods: list[Period] = []
    for index, pair in enumerate(value):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise CalendarDataError(f"{origin}[{index}]: expected [start, end]")
        start, end = (_time(part, f"{origin}[{index}]") for part in pair)
        if not start < end:
            raise CalendarDataError(f"{origin}[{index}]: start {start} must be before end {end}")
        periods.append((start, end))
    periods.sort()
    for previous, following in pairwise(periods):
        if following[0] < previous[1]:
            raise CalendarDataError(f"{origin}: periods {previous} and {following} overlap")
    return tuple(periods)


def read_file(path: Path) -> dict[str, Any]:
    """A TOML calendar file, or CalendarDataError naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise CalendarDataError(f"{path}: cannot read the calendar file ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise CalendarDataError(f"{path}: not valid TOML ({error})") from error


@lru_cache(maxsize=1)
def shipped_raw() -> dict[str, Any]:
    """The holiday data shipped inside the package (parsed once per process)."""
    text = resources.files(__package__).joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def build_data(layers: Iterable[tuple[Mapping[str, Any], str]]) -> CalendarData:
    """CalendarData from file contents applied in order (shipped first, then overrides)."""
    data = CalendarData()
    for raw, origin in layers:
        data.apply(raw, origin)
    return data


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CalendarDataError(f"{where}: expected a table")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise CalendarDataError(f"{where}: expected a list")
    return value


def _year(key: Any, where: str) -> int:
    try:
        year = int(key)
    except (TypeError, ValueError):
        raise CalendarDataError(f"{where}: {key!r} is not a year") from None
    if not 1900 <= year <= 2200:
        raise CalendarDataError(f"{where}: {year} is out of range")
    return year


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarDataError(f"{where}: expected a date like 2025-04-30, got {value!r}")


def _time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                return parsed
    raise CalendarDataError(f'{where}: expected a local time like "07:30", got {value!r}')


def _entry(item: Any, where: str, *, default_kind: str) -> DayEntry:
    if isinstance(item, Mapping):
        unknown = set(item) - {"date", "name", "kind"}
        if unknown:
            raise CalendarDataError(f"{where}: unknown keys {sorted(unknown)}")
        return DayEntry(
            _date(item.get("date"), f"{where}.date"), str(item.get("name", "")), str(item.get("kind", default_kind))
        )
    # A bare date is accepted too: working_days = [2025-04-26].
    return DayEntry(_date(item, where), "", default_kind)
