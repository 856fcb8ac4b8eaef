"""The shared receipt rule (motcua_shared.calendar.receipt, issue 18 item 3): after a procedure's daily
cut-off a dossier counts from the next working day; an online dossier takes the online processing
time when the procedure sets one."""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, WorkingCalendar, counted_from, due_at_receipt

CALENDAR = WorkingCalendar()
TWO_DAYS = ev.ProcessingTime(value=Decimal(2), unit=ev.TimeUnit.WORKING_DAYS)
ONE_DAY = ev.ProcessingTime(value=Decimal(1), unit=ev.TimeUnit.WORKING_DAYS)


@dataclass(frozen=True)
class Terms:
    processing_time: ev.ProcessingTime = TWO_DAYS
    online_processing_time: ev.ProcessingTime | None = None
    receipt_cutoff: time | None = None


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=PROVINCE_TZ)  # Tue 9 September 2025 is a working day


def test_before_the_cutoff_the_clock_starts_at_receipt() -> None:
    assert due_at_receipt(CALENDAR, at(9, 14, 30), Terms(receipt_cutoff=time(15)), ev.Channel.DIRECT) == at(11, 14, 30)
    assert counted_from(at(9, 15, 0), time(15)) == at(9, 15, 0)  # at the cut-off itself: still today


def test_after_the_cutoff_the_clock_starts_the_next_working_day() -> None:
    terms = Terms(receipt_cutoff=time(15))
    assert due_at_receipt(CALENDAR, at(9, 15, 1), terms, ev.Channel.DIRECT) == at(11, 17, 0)
    assert due_at_receipt(CALENDAR, at(9, 15, 30), Terms(), ev.Channel.DIRECT) == at(11, 15, 30)  # no cut-off
    # Friday after the cut-off: Monday's first period (5 September 2025 is a Friday).
    assert due_at_receipt(CALENDAR, at(5, 16, 0), terms, ev.Channel.POSTAL) == at(9, 17, 0)
    # A UTC instant is judged by the province's clock: 08:30 UTC is 15:30 in Hà Nội.
    utc = datetime.fromisoformat("2025-09-09T08:30:00+00:00")
    assert due_at_receipt(CALENDAR, utc, terms, ev.Channel.DIRECT) == at(11, 17, 0)


def test_an_online_dossier_takes_the_online_processing_time() -> None:
    terms = Terms(online_processing_time=ONE_DAY)
    assert due_at_receipt(CALENDAR, at(9, 9, 0), terms, ev.Channel.ONLINE) == at(10, 9, 0)
    assert due_at_receipt(CALENDAR, at(9, 9, 0), terms, ev.Channel.DIRECT) == at(11, 9, 0)
    assert due_at_receipt(CALENDAR, at(9, 9, 0), Terms(), ev.Channel.ONLINE) == at(11, 9, 0)


def test_the_contract_takes_hh_mm_only() -> None:
    base = {
        "procedure_code": "X.1",
        "name": "Thủ tục",
        "agency_code": "X",
        "admin_level": "provincial",
        "online_level": 4,
        "processing_time": {"value": 2, "unit": "working_days"},
    }
    data = ev.ProcedurePublishedData.model_validate(
        {**base, "receipt_cutoff": "15:00", "online_processing_time": {"value": 1, "unit": "working_days"}}
    )
    assert data.receipt_cutoff == "15:00" and data.online_processing_time == ONE_DAY
    for wrong in ("25:00", "15h", "15:00:00"):
        try:
            ev.ProcedurePublishedData.model_validate({**base, "receipt_cutoff": wrong})
        except ValueError:
            continue
        raise AssertionError(f"{wrong} was accepted")
