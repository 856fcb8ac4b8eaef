"""The open-state changes a dossier contributes add up, on every day, to the state it is in that day.

Carried over and in progress are answered from these counters (domain/open_states.py), so for every
generated history (transfers, pauses, overdue, late results, refusals, withdrawals) and every day of
its life and after, the sum of its changes up to a day -- by day, and by monthly nets plus the days
of the month -- must be exactly its standing at the end of that day.
"""

from collections import Counter
from datetime import date, timedelta

from motcua_reporting.domain.contributions import CounterKey, Kind, counts
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_reporting.domain.open_states import standing
from motcua_shared.calendar import load_calendar
from motcua_stack.histories import generate_histories, read_catalogue

START, END = date(2024, 11, 1), date(2025, 3, 1)


def test_open_state_changes_add_up_to_the_standing_of_every_day() -> None:
    histories = generate_histories(7, 120, START, END, read_catalogue(), calendar=load_calendar())
    checked_days = 0
    kinds_seen: Counter[str] = Counter()
    for history in histories:
        view = derive([fact_of(e) for e in history])
        changes = counts(view)
        daily = {k: n for k, n in changes.items() if k.kind == Kind.OPEN}
        monthly: Counter[CounterKey] = Counter()  # as the store adds them up (dossier_store.by_month)
        for k, n in daily.items():
            monthly[k.of_period(7)] += n
        day = START - timedelta(days=3)
        while day <= END + timedelta(days=120):
            expected = standing(view, day)
            month = day.isoformat()[:7]
            by_day: Counter[tuple[str, str]] = Counter()
            by_month: Counter[tuple[str, str]] = Counter()
            for k, n in daily.items():
                if k.date <= day.isoformat():
                    by_day[(k.agency, k.dim)] += n
                    if k.date[:7] == month:
                        by_month[(k.agency, k.dim)] += n
            for k, n in monthly.items():
                if k.date < month:
                    by_month[(k.agency, k.dim)] += n
            for found in (by_day, by_month):
                assert +found == (Counter({expected: 1}) if expected else Counter()), (view.code, day)
                assert not -found, (view.code, day)  # never below zero anywhere
            if expected:
                kinds_seen[expected[1]] += 1
            checked_days += 1
            day += timedelta(days=1)
    assert checked_days > 10_000
    # the histories exercise every state, so the check above covered each kind of change
    assert set(kinds_seen) == {"within_deadline", "overdue", "paused"}


def test_a_transfer_moves_an_open_dossier_to_the_new_agency_on_the_day_it_happens() -> None:
    facts = [
        {
            "id": "s",
            "type": "submitted",
            "at": "2025-03-03T02:00:00.000000+00:00",
            "procedure": "1.001",
            "agency": "STNMT",
            "channel": "direct",
            "code": "D1",
        },
        {
            "id": "a",
            "type": "accepted",
            "at": "2025-03-03T02:05:00.000000+00:00",
            "due_at": "2025-03-07T10:00:00.000000+00:00",
        },
        {"id": "t", "type": "transferred", "at": "2025-03-05T03:00:00.000000+00:00", "to_agency": "STP"},
    ]
    view = derive(facts)
    assert [standing(view, date(2025, 3, d)) for d in (2, 3, 4, 5, 7, 8)] == [
        None,
        ("STNMT", "within_deadline"),
        ("STNMT", "within_deadline"),
        ("STP", "within_deadline"),
        ("STP", "within_deadline"),
        ("STP", "overdue"),
    ]
    daily = {(k.date, k.agency, k.dim): n for k, n in counts(view).items() if k.kind == Kind.OPEN}
    assert daily == {
        ("2025-03-03", "STNMT", "within_deadline"): 1,
        ("2025-03-05", "STNMT", "within_deadline"): -1,
        ("2025-03-05", "STP", "within_deadline"): 1,
        ("2025-03-08", "STP", "within_deadline"): -1,
        ("2025-03-08", "STP", "overdue"): 1,
    }


def test_a_transfer_at_midnight_is_already_in_the_standing_at_the_end_of_the_day_before() -> None:
    # The end of 4 March is the first instant of 5 March (17:00 UTC on the 4th), when carried over at
    # `from` = 5 March is counted: the dossier is the new agency's there, and so in the counters.
    facts = [
        {
            "id": "s",
            "type": "submitted",
            "at": "2025-03-03T02:00:00.000000+00:00",
            "procedure": "1.001",
            "agency": "STNMT",
            "channel": "direct",
            "code": "D2",
        },
        {"id": "t", "type": "transferred", "at": "2025-03-04T17:00:00.000000+00:00", "to_agency": "STP"},
    ]
    view = derive(facts)
    assert standing(view, date(2025, 3, 4)) == ("STP", "within_deadline")
    daily = {(k.date, k.agency): n for k, n in counts(view).items() if k.kind == Kind.OPEN}
    assert daily == {("2025-03-03", "STNMT"): 1, ("2025-03-04", "STNMT"): -1, ("2025-03-04", "STP"): 1}
