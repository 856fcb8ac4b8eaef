"""The dossier lifecycle of DOMAIN.md as data: statuses, their national portal names, and one
transition table {(status, event type): next status} that every service folds events with.

Decisions this table encodes (the contract names no event for some of DOMAIN.md's arrows):

- `accepted` → `in_progress` has no event of its own. An accepted dossier is already being handled,
  so every processing event legal on `in_progress` is legal on `accepted` too (request papers or
  payment, suspend, result ready, ...). The portal shows "new" until the first such step; a dossier
  reaches `in_progress` itself when a pause ends (`supplement_received`, `payment_completed`,
  `resumed`), whatever it was before the pause.
- A pause ends only by its own event: `supplement_received` after `supplement_requested`,
  `payment_completed` after `payment_requested`, `resumed` after `suspended`.
- `transferred`, `apology_issued`, `overdue` and `due_soon` are facts about a dossier being handled; they keep
  its status. `transferred` is also legal on a `submitted` dossier (sent to the competent agency
  before acceptance); `apology_issued`, `overdue` and `due_soon` need a due time, so not on `submitted`.
- `result_ready` is resolved, not open: the result date is set, the clock stops for good, and the
  applicant can no longer withdraw. Only `returned` follows it.
- `rated` only after `returned`, and keeps `returned`. (Rating once is a rule about history, not
  about status; whoever keeps the history enforces it.)
- `refused`, `returned` and `withdrawn` are terminal: nothing but `rated` (after returned) follows.
- The first event of a dossier is `dossier.submitted`; anything else first is illegal.
"""

from enum import StrEnum


class DossierStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_PAYMENT = "awaiting_payment"
    SUSPENDED = "suspended"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


S = DossierStatus

# The national Public Service Portal's name of each status. The portal has no own name for a
# suspension, so it is shown as is.
PORTAL_STATUS: dict[DossierStatus, str] = {
    S.SUBMITTED: "receiving",
    S.ACCEPTED: "new",
    S.REFUSED: "denied",
    S.IN_PROGRESS: "processing",
    S.SUPPLEMENT_REQUESTED: "waiting",
    S.AWAITING_PAYMENT: "paying",
    S.SUSPENDED: "suspended",
    S.RESULT_READY: "releasing",
    S.RETURNED: "done",
    S.WITHDRAWN: "cancelled",
}

# The clock is stopped while the dossier waits for the applicant or is suspended.
PAUSED_STATUSES: frozenset[DossierStatus] = frozenset({S.SUPPLEMENT_REQUESTED, S.AWAITING_PAYMENT, S.SUSPENDED})
# Accepted and being handled, clock running: a due time can pass here.
RUNNING_STATUSES: frozenset[DossierStatus] = frozenset({S.ACCEPTED, S.IN_PROGRESS})
# Not yet resolved: may still be withdrawn, counted as "in progress" by the reports.
OPEN_STATUSES: frozenset[DossierStatus] = frozenset({S.SUBMITTED}) | RUNNING_STATUSES | PAUSED_STATUSES
# Nothing changes the status any more.
TERMINAL_STATUSES: frozenset[DossierStatus] = frozenset({S.REFUSED, S.RETURNED, S.WITHDRAWN})

_KEEP = None  # marker in the table below: the event keeps the current status


def _table() -> dict[tuple[DossierStatus | None, str], DossierStatus]:
    rows: list[tuple[frozenset[DossierStatus | None] | DossierStatus | None, str, DossierStatus | None]] = [
        (None, "dossier.submitted", S.SUBMITTED),
        (S.SUBMITTED, "dossier.accepted", S.ACCEPTED),
        (S.SUBMITTED, "dossier.refused", S.REFUSED),
        (S.SUBMITTED, "dossier.transferred", _KEEP),
        (RUNNING_STATUSES, "dossier.supplement_requested", S.SUPPLEMENT_REQUESTED),
        (RUNNING_STATUSES, "dossier.payment_requested", S.AWAITING_PAYMENT),
        (RUNNING_STATUSES, "dossier.suspended", S.SUSPENDED),
        (RUNNING_STATUSES, "dossier.result_ready", S.RESULT_READY),
        (S.SUPPLEMENT_REQUESTED, "dossier.supplement_received", S.IN_PROGRESS),
        (S.AWAITING_PAYMENT, "dossier.payment_completed", S.IN_PROGRESS),
        (S.SUSPENDED, "dossier.resumed", S.IN_PROGRESS),
        (RUNNING_STATUSES | PAUSED_STATUSES, "dossier.transferred", _KEEP),
        (RUNNING_STATUSES | PAUSED_STATUSES, "dossier.apology_issued", _KEEP),
        (RUNNING_STATUSES | PAUSED_STATUSES, "dossier.overdue", _KEEP),
        (RUNNING_STATUSES | PAUSED_STATUSES, "dossier.due_soon", _KEEP),
        # Issue 18: the supplement time (reminder, expiry) and a refusal once it passed (processing
        # allows that refusal only after `supplement_expired`); a result left uncollected.
        (S.SUPPLEMENT_REQUESTED, "dossier.supplement_due_soon", _KEEP),
        (S.SUPPLEMENT_REQUESTED, "dossier.supplement_expired", _KEEP),
        (S.SUPPLEMENT_REQUESTED, "dossier.refused", S.REFUSED),
        (S.RESULT_READY, "dossier.result_uncollected", _KEEP),
        (OPEN_STATUSES, "dossier.withdrawn", S.WITHDRAWN),
        (S.RESULT_READY, "dossier.returned", S.RETURNED),
        (S.RETURNED, "dossier.rated", _KEEP),
    ]
    table: dict[tuple[DossierStatus | None, str], DossierStatus] = {}
    for sources, event_type, target in rows:
        for source in sources if isinstance(sources, frozenset) else (sources,):
            next_ = source if target is _KEEP else target
            assert next_ is not None, "only dossier.submitted may start a dossier"
            table[(source, event_type)] = next_
    return table


# Every legal (status, event type) pair and the status it leads to; a pair absent here is illegal.
# `None` is the status of a dossier not seen yet.
TRANSITIONS: dict[tuple[DossierStatus | None, str], DossierStatus] = _table()


class IllegalTransition(Exception):
    """`event_type` cannot happen to a dossier in status `current`."""

    def __init__(self, current: DossierStatus | None, event_type: str) -> None:
        self.current = current
        self.event_type = event_type
        where = f"a {current.value} dossier" if current is not None else "a dossier not yet submitted"
        super().__init__(f"{event_type} is not allowed on {where}")


def next_status(current: DossierStatus | None, event_type: str) -> DossierStatus:
    """The status after `event_type` happens to a dossier in status `current` (None: not seen yet).

    Raises IllegalTransition when the lifecycle does not allow it."""
    try:
        return TRANSITIONS[(current, event_type)]
    except KeyError:
        raise IllegalTransition(current, event_type) from None


def allowed_events(current: DossierStatus | None) -> list[str]:
    """The event types legal on a dossier in status `current`, for error messages and docs."""
    return sorted(event_type for (source, event_type) in TRANSITIONS if source == current)


def portal_status(status: DossierStatus) -> str:
    """The national Public Service Portal's name of `status`."""
    return PORTAL_STATUS[status]
