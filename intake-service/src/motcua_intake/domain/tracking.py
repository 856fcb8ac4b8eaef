"""What intake needs to know about a dossier's progress: its status, its appointment date, whether
the applicant already rated it. Folded from `dossier.events`, whoever published them."""

from datetime import datetime
from urllib.parse import urlencode

from motcua_shared import events as ev
from motcua_shared import lifecycle
from motcua_shared.lifecycle import DossierStatus, PauseCalendar, Progress


def progress_after(
    status: str | None,
    due_at: datetime | None,
    paused_at: datetime | None,
    event: ev.DossierEvent,
    calendar: PauseCalendar,
) -> Progress:
    """Status, appointment and pause after `event`, as the shared lifecycle says. Intake records what
    it is told: an event the lifecycle forbids still sets the status it leads to (processing keeps it
    as an anomaly)."""
    before = Progress(status=DossierStatus(status) if status else None, due_at=due_at, paused_since=paused_at)
    return lifecycle.advance(
        before,
        event.event_type,
        event.occurred_at,
        calendar,
        carried=lifecycle.carried_due_at(event.event_type, event.data),
        strict=False,
    )


def next_status(status: str | None, event: ev.DossierEvent) -> str | None:
    """The status after `event`, as `progress_after` sets it."""
    after = lifecycle.status_told(DossierStatus(status) if status else None, event.event_type)
    return after.value if after is not None else None


def is_open(status: str | None) -> bool:
    """An open dossier may still be withdrawn by its applicant; once the result is ready it may not."""
    return lifecycle.is_open(DossierStatus(status) if status else None)


def changes_from(event: ev.DossierEvent) -> dict[str, object]:
    """Fields of intake's dossier view that `event` sets, besides status, appointment and pause."""
    data = event.data
    if isinstance(data, ev.SupplementReceivedData):
        return {"supplement_respond_by": None}
    if isinstance(data, ev.SupplementRequestedData):
        # respond_by: the applicant's time for the papers (issue 18; absent from older producers' events)
        return {"supplement_respond_by": data.respond_by}
    if isinstance(data, ev.PaymentRequestedData):
        return {"payment_requested_amount": str(data.amount)}
    if isinstance(data, ev.RatedData):
        return {"rating": data.rating.value}
    if isinstance(data, ev.TransferredData):
        return {"agency_code": data.to_agency_code}
    return {}


def tracking_page_url(public_base_url: str, code: str) -> str:
    """The applicant's tracking page with `code` filled in (they give the phone there)."""
    return f"{public_base_url.rstrip('/')}/track?{urlencode({'code': code})}"
