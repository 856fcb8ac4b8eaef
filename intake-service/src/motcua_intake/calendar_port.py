"""The shared working-time calendar, seen through the two questions intake asks it."""

from datetime import datetime

from motcua_shared.events import ProcessingTime

from .service_layer.unit import WorkingCalendar


def shared_calendar() -> WorkingCalendar:
    """motcua_shared.calendar, as intake's WorkingCalendar."""
    from motcua_shared.calendar import load_calendar  # type: ignore[import-not-found]

    return _SharedCalendar(load_calendar())


class _SharedCalendar:
    def __init__(self, calendar: object) -> None:
        self._calendar = calendar

    def due_at(self, received_at: datetime, procedure_processing_time: ProcessingTime) -> datetime:
        return self._calendar.due_at(received_at, procedure_processing_time)  # type: ignore[attr-defined, no-any-return]

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        raise NotImplementedError
