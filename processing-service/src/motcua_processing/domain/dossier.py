"""A dossier as processing sees it: its status, deadline and full history, folded from its events
whoever published them (intake, processing's officers, integrators, imported histories).

`fold` is the one place an event changes a dossier. An event the lifecycle forbids (say, returned
before accepted) changes nothing but is kept as an anomaly on the dossier; an event seen before
(same event_id) changes nothing at all."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from motcua_shared import events as ev
from motcua_shared.lifecycle import (
    PAUSED_STATUSES,
    RUNNING_STATUSES,
    DossierStatus,
    IllegalTransition,
    Progress,
    advance,
    carried_due_at,
    portal_status,
)

from .deadlines import WorkingCalendar


@dataclass(frozen=True)
class HistoryEntry:
    """One change: who, when, what, why (DOMAIN.md: every change is kept)."""

    event_id: str
    event_type: str
    status: DossierStatus  # after the change
    when: datetime
    who: str
    why: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Anomaly:
    """An event that broke the lifecycle, kept for people to look at rather than applied."""

    event_id: str
    event_type: str
    when: datetime
    status: DossierStatus | None  # when the event arrived
    reason: str
    source: str


@dataclass(frozen=True)
class Dossier:
    dossier_id: str
    code: str | None = None
    agency_code: str | None = None
    procedure_code: str | None = None
    channel: str | None = None
    # The counter that received it, when not the competent agency's (issue 18 item 6): read-only there.
    receiving_agency_code: str | None = None
    status: DossierStatus | None = None  # None: only anomalies seen so far, no submission
    received_at: datetime | None = None
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    paused_since: datetime | None = None
    apology_due_at: datetime | None = None
    due_soon_at: datetime | None = None  # when a due-soon warning was given
    overdue_at: datetime | None = None  # when the dossier was announced overdue
    # The supplement request waiting for papers (issue 18): its event id, the time the applicant has,
    # and when the clock reminded and announced the time passed.
    supplement_request_id: str | None = None
    supplement_respond_by: datetime | None = None
    supplement_reminded_at: datetime | None = None
    supplement_expired_at: datetime | None = None
    uncollected_at: datetime | None = None  # when the result was announced not collected
    result_at: datetime | None = None
    closed_at: datetime | None = None
    rating: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    seen: frozenset[str] = field(default_factory=frozenset)  # event ids applied or kept as anomalies

    @property
    def portal_status(self) -> str | None:
        return portal_status(self.status) if self.status is not None else None

    @property
    def clock_running(self) -> bool:
        return self.status in RUNNING_STATUSES and self.due_at is not None

    @property
    def paused(self) -> bool:
        return self.status in PAUSED_STATUSES

    def has_seen(self, event_id: object) -> bool:
        return str(event_id) in self.seen

    @property
    def requested_amount(self) -> Decimal | None:
        """The amount of the latest payment request (None: payment was never requested)."""
        for entry in reversed(self.history):
            if entry.event_type == "dossier.payment_requested":
                return Decimal(str(entry.data["amount"]))
        return None


def fold(
    dossier: Dossier | None, event: ev.DossierEvent, calendar: WorkingCalendar, *, who: str | None = None
) -> Dossier:
    """The dossier after `event`. `who` names the person behind it when known (an officer), else the
    event's source is recorded."""
    current = dossier or Dossier(dossier_id=event.dossier_id)
    event_id = str(event.event_id)
    if event_id in current.seen:
        return current
    seen = current.seen | {event_id}
    try:
        # Status, due time and pause: the shared lifecycle's; the rest is processing's own record.
        progress = advance(
            Progress(current.status, current.due_at, current.paused_since),
            event.event_type,
            event.occurred_at,
            calendar,
            carried=carried_due_at(event.event_type, event.data),
        )
        changes = _changes(current, event, calendar)
    except IllegalTransition as illegal:
        return replace(current, seen=seen, anomalies=(*current.anomalies, _anomaly(current, event, str(illegal))))
    except _Refused as refused:
        return replace(current, seen=seen, anomalies=(*current.anomalies, _anomaly(current, event, str(refused))))
    assert progress.status is not None  # the lifecycle gives every legal event a status
    entry = HistoryEntry(
        event_id=event_id,
        event_type=event.event_type,
        status=progress.status,
        when=event.occurred_at,
        who=who or event.source,
        why=_why(event),
        data=event.data.model_dump(mode="json", exclude_none=True),
    )
    return replace(
        current,
        **changes,
        status=progress.status,
        due_at=progress.due_at,
        paused_since=progress.paused_since,
        seen=seen,
        history=(*current.history, entry),
    )


class _Refused(Exception):
    """A rule beyond the status table (rating twice) refuses the event."""


def _anomaly(dossier: Dossier, event: ev.DossierEvent, reason: str) -> Anomaly:
    return Anomaly(
        event_id=str(event.event_id),
        event_type=event.event_type,
        when=event.occurred_at,
        status=dossier.status,
        reason=reason,
        source=event.source,
    )


def _why(event: ev.DossierEvent) -> str | None:
    reason = getattr(event.data, "reason", None)
    return reason if isinstance(reason, str) else None


def _respond_by(data: ev.SupplementRequestedData, at: datetime, calendar: WorkingCalendar) -> datetime | None:
    """When the applicant's time for the papers ends: as published, else from `respond_within`."""
    if data.respond_by is not None:
        return data.respond_by
    if data.respond_within is None:
        return None
    limit = ev.ProcessingTime(value=data.respond_within.value, unit=ev.TimeUnit.WORKING_DAYS)
    return calendar.due_at(at, limit)


def _changes(dossier: Dossier, event: ev.DossierEvent, calendar: WorkingCalendar) -> dict[str, Any]:
    """Fields of the dossier that `event` sets, besides status, due time, pause and history."""
    at = event.occurred_at
    data = event.data
    if isinstance(data, ev.SubmittedData):
        return {
            "code": data.dossier_code,
            "agency_code": data.agency_code,
            "procedure_code": data.procedure_code,
            "channel": data.channel.value,
            "received_at": at,
            "receiving_agency_code": data.receiving_agency_code,
        }
    if isinstance(data, ev.AcceptedData):
        return {"accepted_at": at}
    if isinstance(data, ev.SupplementRequestedData):
        return {
            "supplement_request_id": str(event.event_id),
            "supplement_respond_by": _respond_by(data, at, calendar),
            "supplement_reminded_at": None,
            "supplement_expired_at": None,
        }
    if isinstance(data, ev.SupplementReceivedData):
        return {
            "supplement_request_id": None,
            "supplement_respond_by": None,
            "supplement_reminded_at": None,
            "supplement_expired_at": None,
        }
    if isinstance(data, ev.SupplementDueSoonData):
        return {"supplement_reminded_at": at}
    if isinstance(data, ev.SupplementExpiredData):
        return {"supplement_expired_at": at}
    if isinstance(data, ev.ResultUncollectedData):
        return {"uncollected_at": at}
    if isinstance(data, ev.TransferredData):
        return {"agency_code": data.to_agency_code}
    if isinstance(data, ev.ApologyIssuedData):
        return {"apology_due_at": data.new_due_at}
    if isinstance(data, ev.OverdueData):
        return {"overdue_at": at}
    if event.event_type == "dossier.due_soon":
        return {"due_soon_at": at}
    if isinstance(data, ev.ResultReadyData):
        return {"result_at": data.finished_at or at}
    if isinstance(data, ev.ReturnedData | ev.RefusedData | ev.WithdrawnData):
        return {"closed_at": at}
    if isinstance(data, ev.RatedData):
        if dossier.rating is not None:
            raise _Refused(f"dossier.rated: the dossier was already rated {dossier.rating}; a dossier is rated once")
        return {"rating": data.rating.value}
    return {}
