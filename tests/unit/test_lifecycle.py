"""The dossier state machine, transition by transition: every legal pair leads where DOMAIN.md says,
every other (status, event type) pair is refused."""

import itertools

import pytest
from motcua_shared.events import DOSSIER_EVENT_TYPES
from motcua_shared.lifecycle import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    PORTAL_STATUS,
    TERMINAL_STATUSES,
    DossierStatus,
    IllegalTransition,
    allowed_events,
    next_status,
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
    life = ["dossier.submitted", "dossier.accepted", "dossier.supplement_requested", "dossier.supplement_received",
            "dossier.payment_requested", "dossier.payment_completed", "dossier.suspended", "dossier.resumed",
            "dossier.apology_issued", "dossier.result_ready", "dossier.returned", "dossier.rated"]
    status: DossierStatus | None = None
    for event_type in life:
        status = next_status(status, event_type)
    assert status is S.RETURNED
