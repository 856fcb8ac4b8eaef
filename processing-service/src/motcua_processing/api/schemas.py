"""Request and response bodies of processing's API, named by role."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from motcua_shared import events as ev
from motcua_shared.freshness import AsOf
from motcua_shared.lifecycle import DossierStatus
from pydantic import AwareDatetime, BaseModel, Field

from ..domain.dossier import Dossier
from ..service_layer.views import DEADLINE_LABELS

# --- requests ---------------------------------------------------------------------------------------


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class OptionalReason(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class SupplementRequest(Reason):
    items: list[str] | None = Field(default=None, max_length=100)
    respond_within_days: Decimal | None = Field(
        default=None,
        gt=0,
        le=365,
        max_digits=5,
        decimal_places=2,
        description="working days the applicant has for the papers; default: the procedure's `supplement_time`, "
        "else MOTCUA_PROCESSING_SUPPLEMENT_WORKING_DAYS (15)",
    )


class RefuseRequest(Reason):
    reason_code: ev.RefusalReason | None = Field(
        default=None,
        description="`supplement_expired`: the applicant's time for the papers passed (the only "
        "ground on which a dossier waiting for papers may be refused; implied there)",
    )


class PaymentRequest(BaseModel):
    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2)


class PaymentRecord(BaseModel):
    amount: Decimal = Field(ge=0, max_digits=15, decimal_places=2)
    method: ev.PaymentMethod = ev.PaymentMethod.COUNTER


class TransferRequest(BaseModel):
    to_agency_code: str = Field(min_length=1, max_length=50)
    reason: str | None = Field(default=None, max_length=2000)


class ApologyRequest(Reason):
    new_due_at: AwareDatetime
    letter_id: str | None = Field(default=None, max_length=100)


class ResultReadyRequest(BaseModel):
    result_number: str | None = Field(default=None, max_length=100)
    finished_at: AwareDatetime | None = None


class ReturnRequest(BaseModel):
    delivery: ev.Delivery


# --- responses --------------------------------------------------------------------------------------


class HistoryEntryPublic(BaseModel):
    event_id: str
    event_type: str
    status: DossierStatus
    when: datetime
    who: str
    why: str | None
    data: dict[str, Any]


class AnomalyPublic(BaseModel):
    event_id: str
    event_type: str
    when: datetime
    status: DossierStatus | None
    reason: str
    source: str


class DossierPublic(BaseModel):
    dossier_id: str
    code: str | None
    agency_code: str | None
    procedure_code: str | None
    channel: str | None
    receiving_agency_code: str | None = Field(
        default=None,
        description="đơn vị tiếp nhận / the agency whose counter received it, when not `agency_code` "
        "(its officers may read the dossier; the competent agency acts on it)",
    )
    status: DossierStatus | None
    portal_status: str | None
    received_at: datetime | None
    accepted_at: datetime | None
    due_at: datetime | None
    paused_since: datetime | None
    apology_due_at: datetime | None
    due_soon_at: datetime | None
    overdue_at: datetime | None
    result_at: datetime | None
    closed_at: datetime | None
    rating: str | None
    remaining_working_hours: float | None = Field(
        description="Working hours left until the due time (negative: overdue); frozen while paused"
    )
    remaining_working_minutes: int | None = Field(
        default=None, description="the same in whole working minutes (negative: overdue)"
    )
    deadline_state: str | None = Field(
        default=None,
        description="`within_deadline`, `due_soon` (no more than MOTCUA_PROCESSING_DUE_SOON_WORKING_"
        "HOURS left), `overdue`, `paused`; null: no clock runs",
    )
    deadline_label: str | None = Field(default=None, description='the state for people, e.g. "sắp trễ · due soon"')
    supplement_respond_by: datetime | None = Field(
        default=None, description="when the applicant's time for the papers asked for ends"
    )
    supplement_expired_at: datetime | None = Field(
        default=None, description="set once that time passed without them: the dossier may be refused"
    )
    uncollected_at: datetime | None = Field(default=None, description="when the result was announced not collected")
    history: list[HistoryEntryPublic]
    anomalies: list[AnomalyPublic]
    as_of: AsOf | None = Field(
        default=None,
        description="how current this answer is: processing's view is "
        "folded from dossier.events (given by `GET /v1/dossiers/{code}`)",
    )

    @classmethod
    def of(cls, dossier: Dossier, remaining: timedelta | None, state: str | None = None) -> "DossierPublic":
        return cls(
            remaining_working_minutes=minutes(remaining),
            deadline_state=state,
            deadline_label=DEADLINE_LABELS.get(state) if state else None,
            supplement_respond_by=dossier.supplement_respond_by,
            supplement_expired_at=dossier.supplement_expired_at,
            uncollected_at=dossier.uncollected_at,
            dossier_id=dossier.dossier_id,
            code=dossier.code,
            agency_code=dossier.agency_code,
            procedure_code=dossier.procedure_code,
            channel=dossier.channel,
            status=dossier.status,
            receiving_agency_code=dossier.receiving_agency_code,
            portal_status=dossier.portal_status,
            received_at=dossier.received_at,
            accepted_at=dossier.accepted_at,
            due_at=dossier.due_at,
            paused_since=dossier.paused_since,
            apology_due_at=dossier.apology_due_at,
            due_soon_at=dossier.due_soon_at,
            overdue_at=dossier.overdue_at,
            result_at=dossier.result_at,
            closed_at=dossier.closed_at,
            rating=dossier.rating,
            remaining_working_hours=hours(remaining),
            history=[HistoryEntryPublic(**vars(h)) for h in dossier.history],
            anomalies=[AnomalyPublic(**vars(a)) for a in dossier.anomalies],
        )


class ActionResult(BaseModel):
    event_id: str
    event_type: str
    dossier: DossierPublic


class InboxItem(BaseModel):
    dossier_id: str
    code: str | None
    procedure_code: str | None
    channel: str | None
    status: DossierStatus | None
    portal_status: str | None
    received_at: datetime | None
    due_at: datetime | None
    remaining_working_hours: float | None
    remaining_working_minutes: int | None = None
    deadline_state: str | None = None
    deadline_label: str | None = None
    paused: bool
    overdue: bool
    supplement_respond_by: datetime | None = None
    supplement_expired: bool = False
    uncollected: bool = False
    agency_code: str | None = Field(default=None, description="the competent agency")
    receiving_agency_code: str | None = Field(
        default=None, description="the counter that received it, when not the competent agency's"
    )


class Inbox(BaseModel):
    data: list[InboxItem]
    count: int = Field(description="dossiers on this page")
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next page; null: this page is the last"
    )


def hours(remaining: timedelta | None) -> float | None:
    return None if remaining is None else round(remaining.total_seconds() / 3600, 2)


def minutes(remaining: timedelta | None) -> int | None:
    return None if remaining is None else int(remaining.total_seconds() // 60)
