"""The read side: one dossier with its history, and an agency's inbox sorted by due time."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua_shared.lifecycle import OPEN_STATUSES, DossierStatus

from ..domain.deadlines import remaining_working_time
from ..domain.dossier import Dossier
from .unit import Processing

# What an officer's inbox shows unless asked otherwise: everything still to be worked on.
INBOX_STATUSES: frozenset[DossierStatus] = OPEN_STATUSES | {DossierStatus.RESULT_READY}


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


@dataclass(frozen=True)
class InboxLine:
    dossier: Dossier
    remaining: timedelta | None
    overdue: bool


async def inbox(
    processing: Processing, agency_code: str, statuses: list[DossierStatus] | None, *, limit: int
) -> list[InboxLine]:
    """An agency's dossiers in `statuses`, the soonest due first; dossiers without a due time
    (not yet accepted) after them, the longest waiting first."""
    wanted = sorted(s.value for s in (statuses or INBOX_STATUSES))
    dossiers = await processing.dossiers.find({"agency_code": agency_code, "status": {"$in": wanted}}, limit=limit)
    now = processing.now()

    def order(d: Dossier) -> tuple[int, datetime, str]:
        if d.due_at is not None:
            return (0, d.due_at, d.code or "")
        return (1, d.received_at or now, d.code or "")

    return [InboxLine(d, remaining(processing, d, now), is_overdue(d, now)) for d in sorted(dossiers, key=order)]
