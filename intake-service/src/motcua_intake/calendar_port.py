"""The shared working-time calendar, seen through the two questions intake asks it."""

import logging
from datetime import datetime
from typing import Any

from motcua_shared.api import ApiError
from motcua_shared.events import ProcessingTime

from .service_layer.unit import WorkingCalendar

log = logging.getLogger(__name__)


def shared_calendar() -> WorkingCalendar:
    """motcua_shared.calendar, as intake's WorkingCalendar."""
    return _SharedCalendar()


class _SharedCalendar:
    def __init__(self) -> None:
        self._calendar: Any = None
        try:
            self._load()
        except ImportError:
            # Loaded again on first use, so that online intake works while the calendar is deployed.
            log.error("motcua_shared.calendar is not available: counter and postal dossiers will fail")

    def _load(self) -> Any:
        if self._calendar is None:
            from motcua_shared.calendar import load_calendar  # type: ignore[import-not-found,unused-ignore]

            self._calendar = load_calendar()
        return self._calendar

    def due_at(self, received_at: datetime, procedure_processing_time: ProcessingTime) -> datetime:
        due: datetime = self._load().due_at(received_at, procedure_processing_time)
        return due

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        calendar = self._load()
        if hasattr(calendar, "moved_due_at"):
            moved: datetime = calendar.moved_due_at(due_at, paused_at, resumed_at)
            return moved
        # Never guess working time here: the calendar owns it (DOMAIN.md, "Working time").
        raise ApiError(
            503,
            "calendar_unavailable",
            "the working-time calendar cannot move an appointment yet; retry later",
            headers={"Retry-After": "60"},
        )
