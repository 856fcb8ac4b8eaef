"""Deadlines in legal working time, asked of the shared working calendar (motcua_shared.calendar).

Processing never counts working time itself: it only combines the calendar's four operations."""

from datetime import datetime, timedelta
from typing import Protocol

from motcua_shared.calendar import ReceiptTerms, due_at_receipt
from motcua_shared.events import Channel, ProcessingTime
from motcua_shared.lifecycle import moved_by_pause

__all__ = ["WorkingCalendar", "due_on_acceptance", "moved_by_pause", "remaining_working_time"]


class WorkingCalendar(Protocol):
    """The part of motcua_shared.calendar.WorkingCalendar processing relies on."""

    def due_at(self, received_at: datetime, processing_time: ProcessingTime) -> datetime: ...

    def add(self, start: datetime, working: timedelta) -> datetime: ...

    def working_time_between(self, start: datetime, end: datetime) -> timedelta: ...

    def next_working_instant(self, at: datetime) -> datetime: ...

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime: ...


def due_on_acceptance(
    calendar: WorkingCalendar, accepted_at: datetime, terms: ReceiptTerms, channel: Channel | None
) -> datetime:
    """The due time of a dossier accepted at `accepted_at`: the clock starts at acceptance (DOMAIN.md),
    from the next working day when that is after the procedure's receipt cut-off, with the online
    processing time for an online dossier when the procedure sets one (calendar/receipt.py, the rule
    intake's receipt follows too)."""
    return due_at_receipt(calendar, accepted_at, terms, channel)


def remaining_working_time(
    calendar: WorkingCalendar, due_at: datetime, now: datetime, *, paused_since: datetime | None = None
) -> timedelta:
    """Working time left until `due_at`, negative once it has passed. A paused dossier's clock stands
    still at the moment it was paused."""
    at = paused_since if paused_since is not None else now
    if due_at >= at:
        return calendar.working_time_between(at, due_at)
    return -calendar.working_time_between(due_at, at)
