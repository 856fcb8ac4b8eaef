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

Beside the status, the module says what each event does to the clock (`Progress`, `advance`): which
events pause it and which end each kind of pause, which carry the due time in effect after them, and
how the due time moves when a pause ends without one (`payment_completed` carries none, CONTRACT.md).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol


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


def is_open(status: DossierStatus | str | None) -> bool:
    """Not yet resolved: the applicant may still withdraw it, the reports count it in progress."""
    return status in OPEN_STATUSES


def _always_leads_to() -> dict[str, DossierStatus]:
    """Event types that lead to one status from wherever they are legal (not those keeping it)."""
    targets: dict[str, set[DossierStatus]] = {}
    keeping: set[str] = set()
    for (source, event_type), target in TRANSITIONS.items():
        targets.setdefault(event_type, set()).add(target)
        if target == source:
            keeping.add(event_type)
    return {event_type: next(iter(t)) for event_type, t in targets.items() if len(t) == 1 and event_type not in keeping}


# The status an event type leads to wherever it happens, for readers that record what they are told
# rather than judge it (intake's tracking, reporting's view): derived from TRANSITIONS.
LEADS_TO: dict[str, DossierStatus] = _always_leads_to()


def status_told(current: DossierStatus | None, event_type: str) -> DossierStatus | None:
    """The status after `event_type` for a reader that does not refuse events: the lifecycle's when
    the transition is legal, else the status the event type always leads to, else `current`."""
    legal = TRANSITIONS.get((current, event_type))
    if legal is not None:
        return legal
    return LEADS_TO.get(event_type, current)


# -- the clock ------------------------------------------------------------------------------------

# Which event starts and which ends each kind of pause; the clock stands still in between.
PAUSE_STARTS: dict[str, str] = {
    "dossier.supplement_requested": "supplement",
    "dossier.payment_requested": "payment",
    "dossier.suspended": "suspended",
}
PAUSE_ENDS: dict[str, str] = {
    "dossier.supplement_received": "supplement",
    "dossier.payment_completed": "payment",
    "dossier.resumed": "suspended",
}
# Events whose data carry the due time in effect after them, and the field that carries it. An
# apology's new appointment is the applicant's due time from then on.
DUE_CARRIERS: dict[str, str] = {
    "dossier.accepted": "due_at",
    "dossier.supplement_received": "due_at",
    "dossier.resumed": "due_at",
    "dossier.apology_issued": "new_due_at",
}


class PauseCalendar(Protocol):
    """The one question the lifecycle asks the working calendar (motcua_shared.calendar)."""

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime: ...


@dataclass(frozen=True)
class Progress:
    """The small state of a dossier the lifecycle decides: status, due time, and the pause it is in."""

    status: DossierStatus | None = None
    due_at: datetime | None = None
    paused_since: datetime | None = None

    @property
    def is_open(self) -> bool:
        return is_open(self.status)

    @property
    def paused(self) -> bool:
        return self.status in PAUSED_STATUSES


def carried_due_at(event_type: str, data: object) -> datetime | None:
    """The due time `data` of an event of `event_type` carries (None: it carries none)."""
    field_name = DUE_CARRIERS.get(event_type)
    value = getattr(data, field_name, None) if field_name else None
    return value if isinstance(value, datetime) else None


def moved_by_pause(calendar: PauseCalendar, due_at: datetime, paused_since: datetime, resumed_at: datetime) -> datetime:
    """`due_at` moved later by the working time spent paused: what the end of every pause does to it.
    Whoever publishes `supplement_received` or `resumed` puts the result in the event; for
    `payment_completed`, which carries none, every reader computes it (`due_after`)."""
    return calendar.moved_due_at(due_at, paused_since, resumed_at)


def due_after(
    progress: Progress, event_type: str, at: datetime, carried: datetime | None, calendar: PauseCalendar
) -> datetime | None:
    """The due time after an event at `at` carrying `carried` (see `carried_due_at`): the carried one;
    on a pause's end without one, the due time moved by the working time spent paused; else unchanged."""
    if carried is not None and event_type in DUE_CARRIERS:
        return carried
    if event_type in PAUSE_ENDS and progress.due_at is not None and progress.paused_since is not None:
        return moved_by_pause(calendar, progress.due_at, progress.paused_since, at)
    return progress.due_at


def paused_since_after(progress: Progress, event_type: str, at: datetime) -> datetime | None:
    """Since when the clock stands still after the event (None: running, or never started)."""
    if event_type in PAUSE_STARTS:
        return at
    if event_type in PAUSE_ENDS:
        return None
    return progress.paused_since


def advance(
    progress: Progress,
    event_type: str,
    at: datetime,
    calendar: PauseCalendar,
    *,
    carried: datetime | None = None,
    strict: bool = True,
) -> Progress:
    """`progress` after an event of `event_type` at `at` (carrying the due time `carried`, if any).

    Strict (processing, which keeps the dossier's history): an illegal event raises IllegalTransition
    and changes nothing. Not strict (readers that record what they are told): see `status_told`."""
    status = next_status(progress.status, event_type) if strict else status_told(progress.status, event_type)
    return replace(
        progress,
        status=status,
        due_at=due_after(progress, event_type, at, carried, calendar),
        paused_since=paused_since_after(progress, event_type, at),
    )
