"""The read side: one dossier with its history, and an agency's inbox sorted by due time."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from motcua_shared.lifecycle import OPEN_STATUSES, RUNNING_STATUSES, DossierStatus
from motcua_shared.refusals import Invalid, NotFound
from pymongo import ASCENDING

from ..domain.deadlines import remaining_working_time
from ..domain.dossier import Dossier
from .unit import Processing

# What an officer's inbox shows unless asked otherwise: everything still to be worked on.
INBOX_STATUSES: frozenset[DossierStatus] = OPEN_STATUSES | {DossierStatus.RESULT_READY}


async def dossier_by_code(processing: Processing, code: str) -> tuple[Dossier, int | None]:
    """The dossier `code`, and the events still to fold on its partition (0: the view is current;
    None: not measured). A code the view does not know is looked up again once the consumer group has
    folded every event published before the request, on every partition: 404 `dossier_not_found`
    then, 503 `view_behind` while it has not (a dossier intake has just received is on its way)."""
    dossier = await processing.dossiers.by_code(code)
    if dossier is not None and dossier.agency_code is not None:
        return dossier, await processing.folded(dossier.dossier_id, within=0)
    lag = await processing.folded(None)
    dossier = await processing.dossiers.by_code(code)
    if dossier is not None and dossier.agency_code is not None:
        return dossier, lag
    if lag != 0:
        raise processing.view_behind(code)
    raise NotFound("dossier_not_found", f"no dossier {code}")


def last_event_at(dossier: Dossier) -> datetime | None:
    """When the last event applied to the dossier happened (its occurred_at; anomalies aside)."""
    return dossier.history[-1].when if dossier.history else None


def remaining(processing: Processing, dossier: Dossier, now: datetime) -> timedelta | None:
    """Working time left on the dossier's clock, None when no clock runs for it (not accepted, or resolved)."""
    if dossier.due_at is None or not (dossier.clock_running or dossier.paused):
        return None
    return remaining_working_time(processing.calendar, dossier.due_at, now, paused_since=dossier.paused_since)


def is_overdue(dossier: Dossier, now: datetime) -> bool:
    """Its due time has passed while it is being handled (for a paused one: before it was paused)."""
    if dossier.due_at is None or not (dossier.clock_running or dossier.paused):
        return False
    return dossier.due_at < (dossier.paused_since or now)


# What the officer's screen says of a dossier's deadline (Vietnamese first, English beside).
DEADLINE_LABELS = {
    "within_deadline": "trong hạn · within deadline",
    "due_soon": "sắp trễ · due soon",
    "overdue": "quá hạn · overdue",
    "paused": "tạm dừng · paused",
}


def deadline_state(processing: Processing, dossier: Dossier, remaining: timedelta | None) -> str | None:
    """`due_soon` when no more than the due-soon warning's working time is left (MOTCUA_PROCESSING_
    DUE_SOON_WORKING_HOURS), `overdue` once it passed, `paused` while the clock stands; None: no clock."""
    if remaining is None:
        return None
    if remaining < timedelta(0):
        return "overdue"
    if dossier.paused:
        return "paused"
    return "due_soon" if remaining <= processing.due_soon_ahead else "within_deadline"


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's narrowing filters (issue 18): due within some working hours, the supplement time
    passed, the result not collected."""

    due_within: timedelta | None = None
    supplement_expired: bool = False
    uncollected: bool = False
    # Issue 18 item 6: instead of the agency's own dossiers, those its counter received for other agencies.
    received_at_counter: bool = False

    def statuses(self, wanted: list[str]) -> list[str]:
        keep = set(wanted)
        if self.due_within is not None:
            keep &= {s.value for s in RUNNING_STATUSES}
        if self.supplement_expired:
            keep &= {DossierStatus.SUPPLEMENT_REQUESTED.value}
        if self.uncollected:
            keep &= {DossierStatus.RESULT_READY.value}
        return sorted(keep)

    def query(self, processing: Processing, now: datetime) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.due_within is not None:
            found["due_at"] = {"$gt": now, "$lte": processing.calendar.add(now, self.due_within)}
        if self.supplement_expired:
            found["supplement_expired_at"] = {"$ne": None}
        if self.uncollected:
            found["uncollected_at"] = {"$ne": None}
        return found


@dataclass(frozen=True)
class InboxLine:
    dossier: Dossier
    remaining: timedelta | None
    overdue: bool


@dataclass(frozen=True)
class InboxPage:
    lines: list[InboxLine]
    next_cursor: str | None  # None: this page ends the inbox


# The inbox is read in two runs, each sorted and limited by the store (index agency, status, due_at),
# because MongoDB sorts a missing due time before every date and the inbox wants it after:
# first the dossiers with a due time, the soonest due first; then those without one (not yet
# accepted), the longest waiting first. The dossier id breaks ties, so a position is exact.
_RUNS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("due_at", {"due_at": {"$ne": None}}),
    ("received_at", {"due_at": None}),
)


@dataclass(frozen=True)
class _Position:
    """Where a page ended: the run, the sort value and the dossier id of its last line."""

    run: int
    value: datetime | None
    dossier_id: str

    @classmethod
    def after(cls, dossier: Dossier) -> "_Position":
        if dossier.due_at is not None:
            return cls(0, dossier.due_at, dossier.dossier_id)
        return cls(1, dossier.received_at, dossier.dossier_id)

    def beyond(self) -> dict[str, Any]:
        """The store filter for what sorts after this position within its run."""
        key = _RUNS[self.run][0]
        if self.value is None:  # nulls sort first: every dated one comes after
            return {"$or": [{key: {"$ne": None}}, {key: None, "_id": {"$gt": self.dossier_id}}]}
        return {"$or": [{key: {"$gt": self.value}}, {key: self.value, "_id": {"$gt": self.dossier_id}}]}

    def encode(self) -> str:
        value = self.value.isoformat() if self.value else None
        raw = json.dumps([self.run, value, self.dossier_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")  # no padding: nothing to escape in a URL

    @classmethod
    def decode(cls, cursor: str) -> "_Position":
        try:
            run, value, dossier_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            at = datetime.fromisoformat(value) if value is not None else None
            if type(run) is not int or run not in range(len(_RUNS)) or not isinstance(dossier_id, str):
                raise ValueError(cursor)
            if at is not None and at.tzinfo is None:
                raise ValueError(cursor)
            return cls(run, at.astimezone(UTC) if at else None, dossier_id)  # UTC: as the store compares
        except (ValueError, TypeError, OverflowError) as exc:
            raise Invalid(
                "invalid_cursor",
                "con trỏ trang không hợp lệ; dùng next_cursor của trang trước "
                "(the cursor is not valid: pass the next_cursor of the previous page)",
            ) from exc


async def inbox(
    processing: Processing,
    agency_code: str,
    statuses: list[DossierStatus] | None,
    *,
    limit: int,
    cursor: str | None = None,
    only: InboxFilter | None = None,
) -> InboxPage:
    """A page of an agency's dossiers in `statuses`, the soonest due first; dossiers without a due time
    (not yet accepted) after them, the longest waiting first. `cursor` is the previous page's
    `next_cursor`. A dossier whose due time moves while the officer pages may be met twice or missed."""
    only = only or InboxFilter()
    now = processing.now()
    wanted = only.statuses(sorted(s.value for s in (statuses or INBOX_STATUSES)))
    # With the dossiers of agencies it took over that are not transferred (a result ready, or on their way).
    scope: dict[str, list[str]] = (
        {"receiving_agency_code": [agency_code]}
        if only.received_at_counter
        else {"agency_code": await processing.catalogue.handled_by(agency_code, processing.now().date())}
    )
    narrowed = only.query(processing, now)
    after = _Position.decode(cursor) if cursor else None
    dossiers: list[Dossier] = []
    # One more than the page, to know whether another page follows.
    for run, (key, has_due_time) in enumerate(_RUNS):
        if after is not None and run < after.run:
            continue
        if run == 1 and only.due_within is not None:
            break  # a dossier without a due time is never due within some hours
        # `narrowed` may restate `due_at` (never null then): it replaces the run's own condition.
        query = {
            **has_due_time,
            **narrowed,
            **(after.beyond() if after is not None and run == after.run else {}),
        }
        # One equality query per agency and status (FerretDB scans for `$in`), merged in the store's order.
        dossiers += await processing.dossiers.find_each(
            {**scope, "status": wanted},
            query,
            sort=[(key, ASCENDING), ("_id", ASCENDING)],
            limit=limit + 1 - len(dossiers),
        )
        if len(dossiers) > limit:
            break
    page = dossiers[:limit]
    lines = [InboxLine(d, remaining(processing, d, now), is_overdue(d, now)) for d in page]
    more = len(dossiers) > limit
    return InboxPage(lines, _Position.after(page[-1]).encode() if more else None)
