"""What intake needs to know about a dossier's progress: its status, its appointment date, whether
the applicant already rated it. Folded from `dossier.events`, whoever published them."""

from urllib.parse import urlencode

from motcua_shared import events as ev
from motcua_shared.lifecycle import OPEN_STATUSES

# Status after each event type; types that are absent leave the status alone (rated, overdue, ...).
# TODO(lifecycle): replace with motcua_shared.lifecycle once the processing helper lands it.
_NEXT_STATUS: dict[str, str] = {
    "dossier.submitted": "submitted",
    "dossier.accepted": "accepted",
    "dossier.refused": "refused",
    "dossier.supplement_requested": "supplement_requested",
    "dossier.supplement_received": "in_progress",
    "dossier.payment_requested": "awaiting_payment",
    "dossier.payment_completed": "in_progress",
    "dossier.suspended": "suspended",
    "dossier.resumed": "in_progress",
    "dossier.result_ready": "result_ready",
    "dossier.returned": "returned",
    "dossier.withdrawn": "withdrawn",
}


def next_status(status: str | None, event: ev.DossierEvent) -> str | None:
    """The status after `event`."""
    return _NEXT_STATUS.get(event.event_type, status)


def is_open(status: str | None) -> bool:
    """An open dossier may still be withdrawn by its applicant; once the result is ready it may not
    (the shared lifecycle decides which statuses are open)."""
    return status in OPEN_STATUSES


def changes_from(event: ev.DossierEvent) -> dict[str, object]:
    """Fields of intake's dossier view that `event` sets, besides the status."""
    data = event.data
    if isinstance(data, ev.SupplementReceivedData):
        return {"due_at": data.due_at, "supplement_respond_by": None}
    if isinstance(data, ev.AcceptedData | ev.ResumedData):
        return {"due_at": data.due_at}
    if isinstance(data, ev.ApologyIssuedData):
        return {"due_at": data.new_due_at}
    if isinstance(data, ev.SupplementRequestedData):
        # respond_by: the applicant's time for the papers (issue 18; absent from older producers' events)
        return {"paused_at": event.occurred_at, "supplement_respond_by": data.respond_by}
    if isinstance(data, ev.SuspendedData):
        return {"paused_at": event.occurred_at}
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
