"""When a dossier's clock starts and when it is due, by its procedure's receipt terms (issue 18 item 3).

One rule, asked by intake (the appointment on a counter or postal receipt) and by processing (the due
time of `dossier.accepted`), so the applicant and the officer read the same date:

- a procedure may set a daily receipt cut-off (`receipt_cutoff`, e.g. 15:00, local time): a dossier
  received after it counts from the next working day, its clock starting at that day's first working
  period (a dossier received outside working time starts at the next working period anyway);
- a procedure may set a processing time for online dossiers (`online_processing_time`) different from
  the counter's (`processing_time`).
"""

from datetime import datetime, time, timedelta
from typing import Protocol

from ..events import Channel, ProcessingTime
from .working import PROVINCE_TZ


class DueCalendar(Protocol):
    def due_at(self, received_at: datetime, processing_time: ProcessingTime, /) -> datetime: ...


class ReceiptTerms(Protocol):
    """What of a procedure the rule reads (motcua_shared.catalogue.Procedure has it)."""

    @property
    def processing_time(self) -> ProcessingTime: ...

    @property
    def online_processing_time(self) -> ProcessingTime | None: ...

    @property
    def receipt_cutoff(self) -> time | None: ...


def parse_cutoff(value: str | None) -> time | None:
    """ "15:00" -> 15:00; None stays None."""
    return None if value is None else time.fromisoformat(value)


def after_cutoff(received_at: datetime, cutoff: time | None) -> bool:
    """Whether `received_at` is later, in the province's local time, than that day's cut-off."""
    return cutoff is not None and received_at.astimezone(PROVINCE_TZ).time().replace(tzinfo=None) > cutoff


def counted_from(received_at: datetime, cutoff: time | None) -> datetime:
    """The instant a dossier received at `received_at` counts from: itself, or after the cut-off the
    start of the next day (the calendar then starts the clock at the next working period, which is the
    next working day's first)."""
    if not after_cutoff(received_at, cutoff):
        return received_at
    local = received_at.astimezone(PROVINCE_TZ)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PROVINCE_TZ)


def processing_time_for(terms: ReceiptTerms, channel: Channel | None) -> ProcessingTime:
    """The processing time of a dossier on `channel`: the online one for an online dossier when set."""
    if channel is Channel.ONLINE and terms.online_processing_time is not None:
        return terms.online_processing_time
    return terms.processing_time


def due_at_receipt(
    calendar: DueCalendar, received_at: datetime, terms: ReceiptTerms, channel: Channel | None
) -> datetime:
    """The due time of a dossier received (its clock started) at `received_at` on `channel`, by its
    procedure's terms: the cut-off, then the channel's processing time on the working calendar."""
    return calendar.due_at(counted_from(received_at, terms.receipt_cutoff), processing_time_for(terms, channel))
