"""The dossier state machine, transition by transition: every legal pair leads where DOMAIN.md says,
every other (status, event type) pair is refused; and the clock: what each event does to the pause
and the due time."""

import itertools
from datetime import datetime, timedelta

import pytest
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.events import (
    DOSSIER_EVENT_TYPES,
    AcceptedData,
    ApologyIssuedData,
    OverdueData,
    ResumedData,
)
from motcua_shared.lifecycle import (
    LEADS_TO,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    PORTAL_STATUS,
    TERMINAL_STATUSES,
    DossierStatus,
    IllegalTransition,
    Progress,
    advance,
    allowed_events,
    carried_due_at,
    is_open,
    next_status,
    status_told,
)

S = DossierStatus
EVENT_TYPES = [cls.model_fields["event_type"].default for cls in DOSSIER_EVENT_TYPES]

# Written out by hand from DOMAIN.md (and the decisions in lifecycle.py's docstring), not derived
# from the table under test.
LEGAL: dict[tuple[DossierStatus | None, str], DossierStatus] = {
    (None, "dossier.submitted"): S.SUBMITTED,
    (S.SUBMITTED, "dossier.accepted"): S.ACCEPTED,
    (S.SUBMITTED, "dossier.refused"): S.REFUSED,
    (S.SUBMITTED, "dossier.withdrawn"): S.WITHDRAWN,
    (S.SUBMITTED, "dossier.transferred"): S.SUBMITTED,
    # accepted: handled like in_progress
    (S.ACCEPTED, "dossier.supplement_requested"): S.SUPPLEMENT_REQUESTED,
    (S.ACCEPTED, "dossier.payment_requested"): S.AWAITING_PAYMENT,
    (S.ACCEPTED, "dossier.suspended"): S.SUSPENDED,
    (S.ACCEPTED, "dossier.result_ready"): S.RESULT_READY,
    (S.ACCEPTED, "dossier.transferred"): S.ACCEPTED,
    (S.ACCEPTED, "dossier.apology_issued"): S.ACCEPTED,
    (S.ACCEPTED, "dossier.overdue"): S.ACCEPTED,
    (S.ACCEPTED, "dossier.due_soon"): S.ACCEPTED,
    (S.ACCEPTED, "dossier.withdrawn"): S.WITHDRAWN,
    (S.IN_PROGRESS, "dossier.supplement_requested"): S.SUPPLEMENT_REQUESTED,
    (S.IN_PROGRESS, "dossier.payment_requested"): S.AWAITING_PAYMENT,
    (S.IN_PROGRESS, "dossier.suspended"): S.SUSPENDED,
    (S.IN_PROGRESS, "dossier.result_ready"): S.RESULT_READY,
    (S.IN_PROGRESS, "dossier.transferred"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "dossier.apology_issued"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "dossier.overdue"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "dossier.due_soon"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "dossier.withdrawn"): S.WITHDRAWN,
    # pauses end by their own event only
    (S.SUPPLEMENT_REQUESTED, "dossier.supplement_received"): S.IN_PROGRESS,
    (S.AWAITING_PAYMENT, "dossier.payment_completed"): S.IN_PROGRESS,
    (S.SUSPENDED, "dossier.resumed"): S.IN_PROGRESS,
    **{
        (paused, event_type): paused
        for paused in (S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.SUSPENDED)
        for event_type in ("dossier.transferred", "dossier.apology_issued", "dossier.overdue", "dossier.due_soon")
    },
    (S.SUPPLEMENT_REQUESTED, "dossier.withdrawn"): S.WITHDRAWN,
    (S.AWAITING_PAYMENT, "dossier.withdrawn"): S.WITHDRAWN,
    (S.SUSPENDED, "dossier.withdrawn"): S.WITHDRAWN,
    (S.RESULT_READY, "dossier.returned"): S.RETURNED,
    # issue 18: the supplement time and its expiry; a refusal once it passed; a result not collected
    (S.SUPPLEMENT_REQUESTED, "dossier.supplement_due_soon"): S.SUPPLEMENT_REQUESTED,
    (S.SUPPLEMENT_REQUESTED, "dossier.supplement_expired"): S.SUPPLEMENT_REQUESTED,
    (S.SUPPLEMENT_REQUESTED, "dossier.refused"): S.REFUSED,
    (S.RESULT_READY, "dossier.result_uncollected"): S.RESULT_READY,
    (S.RETURNED, "dossier.rated"): S.RETURNED,
}

ALL_PAIRS = list(itertools.product([None, *DossierStatus], EVENT_TYPES))


@pytest.mark.parametrize(("current", "event_type"), list(LEGAL), ids=lambda v: str(v))
def test_legal_transition_leads_where_the_domain_says(current: DossierStatus | None, event_type: str) -> None:
    assert next_status(current, event_type) is LEGAL[(current, event_type)]


@pytest.mark.parametrize(("current", "event_type"), [p for p in ALL_PAIRS if p not in LEGAL], ids=lambda v: str(v))
def test_every_other_transition_is_illegal(current: DossierStatus | None, event_type: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_status(current, event_type)
    assert caught.value.current is current
    assert caught.value.event_type == event_type


def test_an_unknown_event_type_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        next_status(S.IN_PROGRESS, "dossier.teleported")


def test_returned_before_accepted_is_illegal() -> None:
    with pytest.raises(IllegalTransition, match=r"dossier\.returned is not allowed on a submitted dossier"):
        next_status(S.SUBMITTED, "dossier.returned")


def test_every_status_has_a_national_portal_name() -> None:
    assert set(PORTAL_STATUS) == set(DossierStatus)
    assert PORTAL_STATUS[S.SUBMITTED] == "receiving"
    assert PORTAL_STATUS[S.ACCEPTED] == "new"
    assert PORTAL_STATUS[S.IN_PROGRESS] == "processing"
    assert PORTAL_STATUS[S.SUPPLEMENT_REQUESTED] == "waiting"
    assert PORTAL_STATUS[S.AWAITING_PAYMENT] == "paying"
    assert PORTAL_STATUS[S.RESULT_READY] == "releasing"
    assert PORTAL_STATUS[S.RETURNED] == "done"
    assert PORTAL_STATUS[S.REFUSED] == "denied"
    assert PORTAL_STATUS[S.WITHDRAWN] == "cancelled"


def test_status_groups() -> None:
    assert PAUSED_STATUSES <= OPEN_STATUSES
    assert not (OPEN_STATUSES & TERMINAL_STATUSES)
    assert S.RESULT_READY not in OPEN_STATUSES and S.RESULT_READY not in TERMINAL_STATUSES
    # a terminal status leads nowhere else
    for status in TERMINAL_STATUSES:
        assert all(next_status(status, e) is status for e in allowed_events(status))


def test_a_whole_life_folds_to_returned() -> None:
    life = [
        "dossier.submitted",
        "dossier.accepted",
        "dossier.supplement_requested",
        "dossier.supplement_received",
        "dossier.payment_requested",
        "dossier.payment_completed",
        "dossier.suspended",
        "dossier.resumed",
        "dossier.apology_issued",
        "dossier.result_ready",
        "dossier.returned",
        "dossier.rated",
    ]
    status: DossierStatus | None = None
    for event_type in life:
        status = next_status(status, event_type)
    assert status is S.RETURNED


# --- the clock: pauses, resumes and the due time after each event -------------------------------

CAL = load_calendar()
# Wednesday 10 September 2025, 09:00 in the province: a working morning.
MORNING = datetime(2025, 9, 10, 9, 0, tzinfo=PROVINCE_TZ)
DUE = datetime(2025, 9, 17, 17, 0, tzinfo=PROVINCE_TZ)


def run(*steps: tuple[str, datetime, datetime | None], strict: bool = True) -> Progress:
    progress = Progress()
    for event_type, at, carried in steps:
        progress = advance(progress, event_type, at, CAL, carried=carried, strict=strict)
    return progress


def accepted() -> list[tuple[str, datetime, datetime | None]]:
    return [
        ("dossier.submitted", MORNING - timedelta(hours=1), None),
        ("dossier.accepted", MORNING - timedelta(hours=1), DUE),
    ]


def test_acceptance_starts_the_clock_with_the_due_time_it_carries() -> None:
    progress = run(*accepted())
    assert (progress.status, progress.due_at, progress.paused_since) == (S.ACCEPTED, DUE, None)
    assert progress.is_open and not progress.paused


@pytest.mark.parametrize(
    ("start", "status"),
    [
        ("dossier.supplement_requested", S.SUPPLEMENT_REQUESTED),
        ("dossier.payment_requested", S.AWAITING_PAYMENT),
        ("dossier.suspended", S.SUSPENDED),
    ],
)
def test_every_kind_of_pause_stops_the_clock_since_it_began(start: str, status: DossierStatus) -> None:
    progress = run(*accepted(), (start, MORNING, None))
    assert (progress.status, progress.paused_since, progress.due_at) == (status, MORNING, DUE)
    assert progress.paused and progress.is_open


def test_paying_moves_the_due_time_by_the_working_time_spent_waiting() -> None:
    paid_at = MORNING + timedelta(hours=2)  # 09:00 to 11:00: two working hours
    progress = run(
        *accepted(), ("dossier.payment_requested", MORNING, None), ("dossier.payment_completed", paid_at, None)
    )
    assert progress.status is S.IN_PROGRESS and progress.paused_since is None
    assert progress.due_at == CAL.add(DUE, timedelta(hours=2))


def test_a_payment_waiting_over_the_weekend_moves_the_due_time_by_working_time_only() -> None:
    friday_afternoon = datetime(2025, 9, 12, 16, 0, tzinfo=PROVINCE_TZ)
    monday_morning = datetime(2025, 9, 15, 8, 30, tzinfo=PROVINCE_TZ)
    progress = run(
        *accepted(),
        ("dossier.payment_requested", friday_afternoon, None),
        ("dossier.payment_completed", monday_morning, None),
    )
    assert progress.due_at == CAL.add(DUE, timedelta(hours=2))  # 16:00-17:00 Friday, 07:30-08:30 Monday


@pytest.mark.parametrize(
    ("start", "end"),
    [("dossier.supplement_requested", "dossier.supplement_received"), ("dossier.suspended", "dossier.resumed")],
)
def test_a_pause_ending_with_a_due_time_takes_the_publishers_word(start: str, end: str) -> None:
    moved = DUE + timedelta(days=1)
    progress = run(*accepted(), (start, MORNING, None), (end, MORNING + timedelta(hours=3), moved))
    assert (progress.status, progress.due_at, progress.paused_since) == (S.IN_PROGRESS, moved, None)


def test_an_apology_gives_the_new_appointment() -> None:
    new = DUE + timedelta(days=3)
    progress = run(*accepted(), ("dossier.apology_issued", MORNING, new))
    assert (progress.status, progress.due_at) == (S.ACCEPTED, new)


def test_events_carrying_no_due_time_keep_it() -> None:
    progress = run(
        *accepted(),
        ("dossier.transferred", MORNING, None),
        ("dossier.overdue", MORNING, None),
        ("dossier.result_ready", MORNING + timedelta(hours=1), None),
    )
    assert (progress.status, progress.due_at, progress.is_open) == (S.RESULT_READY, DUE, False)


def test_carried_due_at_reads_the_field_each_event_carries() -> None:
    assert carried_due_at("dossier.accepted", AcceptedData(due_at=DUE)) == DUE
    assert carried_due_at("dossier.resumed", ResumedData(due_at=DUE)) == DUE
    assert carried_due_at("dossier.apology_issued", ApologyIssuedData(reason="quá tải", new_due_at=DUE)) == DUE
    assert carried_due_at("dossier.overdue", OverdueData(due_at=DUE)) is None  # a fact, not a new due time


def test_strict_refuses_an_illegal_event_and_lenient_records_what_it_is_told() -> None:
    with pytest.raises(IllegalTransition):
        run(("dossier.submitted", MORNING, None), ("dossier.returned", MORNING, None))
    told = run(("dossier.submitted", MORNING, None), ("dossier.returned", MORNING, None), strict=False)
    assert told.status is S.RETURNED
    assert status_told(S.SUBMITTED, "dossier.rated") is S.SUBMITTED  # rated keeps a status, whatever it is
    assert status_told(None, "dossier.accepted") is S.ACCEPTED  # an imported history starting at acceptance


def test_the_status_each_event_type_leads_to_is_the_tables() -> None:
    assert LEADS_TO == {
        "dossier.submitted": S.SUBMITTED,
        "dossier.accepted": S.ACCEPTED,
        "dossier.refused": S.REFUSED,
        "dossier.supplement_requested": S.SUPPLEMENT_REQUESTED,
        "dossier.supplement_received": S.IN_PROGRESS,
        "dossier.payment_requested": S.AWAITING_PAYMENT,
        "dossier.payment_completed": S.IN_PROGRESS,
        "dossier.suspended": S.SUSPENDED,
        "dossier.resumed": S.IN_PROGRESS,
        "dossier.result_ready": S.RESULT_READY,
        "dossier.returned": S.RETURNED,
        "dossier.withdrawn": S.WITHDRAWN,
    }
    assert [is_open(s) for s in (S.SUBMITTED, S.AWAITING_PAYMENT, S.RESULT_READY, S.RETURNED, None)] == [
        True,
        True,
        False,
        False,
        False,
    ]
