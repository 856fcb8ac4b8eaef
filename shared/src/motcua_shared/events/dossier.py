"""Dossier events, published on `dossier.events` keyed by dossier id (CONTRACT.md)."""

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field

from .catalog import WorkingDays
from .envelope import Envelope, Number, Payload


class Channel(StrEnum):
    DIRECT = "direct"
    ONLINE = "online"
    POSTAL = "postal"


class Delivery(StrEnum):
    DIRECT = "direct"
    POSTAL = "postal"
    ONLINE = "online"


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COUNTER = "counter"


class RefusalReason(StrEnum):
    """Machine-readable grounds of a refusal (addition): the text of `reason` stays the officer's."""

    SUPPLEMENT_EXPIRED = "supplement_expired"  # the applicant did not hand in the papers in time


class Rating(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"


class Applicant(Payload):
    full_name: str = Field(min_length=1, max_length=200)
    id_number: str | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    email: EmailStr | None = None
    address: str | None = Field(default=None, max_length=500)
    preferred_language: Literal["vi", "en"] | None = None
    # Addition: the applicant agreed at intake to be told on Zalo (ZNS) at `phone`; absent = no.
    zalo_consent: bool | None = Field(
        default=None,
        description="Đồng ý nhận thông báo qua Zalo (ZNS) theo số điện thoại / "
        "consents to notifications on Zalo (ZNS) at `phone`",
    )


class Document(Payload):
    name: str = Field(min_length=1, max_length=300)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(default=None, ge=0)
    # Addition (issue 17): the paper was digitised (scanned, signed) at intake: Decision 766's digitisation.
    digitised: bool | None = Field(
        default=None, description="Thành phần hồ sơ đã được số hóa / the document was digitised at intake"
    )


NonEmpty = Field(min_length=1)


class DossierEvent(Envelope):
    """Base of every event on `dossier.events`: `dossier_id` is required there."""

    dossier_id: str = Field(min_length=1, max_length=100)


# --- data payloads -----------------------------------------------------------------------------


class SubmittedData(Payload):
    dossier_code: str = Field(min_length=1)
    procedure_code: str = Field(min_length=1)
    agency_code: str = Field(min_length=1)
    channel: Channel
    applicant: Applicant
    documents: list[Document] | None = None
    # Addition (issue 18 item 6, receipt regardless of administrative boundaries): the agency at whose
    # counter the dossier was received, when not the competent `agency_code` (which processes it).
    receiving_agency_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="đơn vị tiếp nhận (tiếp nhận không phụ thuộc địa giới hành chính) / the agency whose counter "
        "received the dossier, when not the competent agency_code; absent: received by agency_code",
    )


class AcceptedData(Payload):
    due_at: AwareDatetime


class RefusedData(Payload):
    reason: str = Field(min_length=1)
    reason_code: RefusalReason | None = None


class SupplementRequestedData(Payload):
    reason: str = Field(min_length=1)
    items: list[str] | None = None
    # Additions (issue 18): the time the applicant has, and when it ends in working time.
    respond_within: WorkingDays | None = None
    respond_by: AwareDatetime | None = None


class SupplementReceivedData(Payload):
    due_at: AwareDatetime


class PaymentRequestedData(Payload):
    amount: Number = Field(ge=0)


class PaymentCompletedData(Payload):
    amount: Number = Field(ge=0)
    method: PaymentMethod


class SuspendedData(Payload):
    reason: str | None = None


class ResumedData(Payload):
    due_at: AwareDatetime


class TransferredData(Payload):
    to_agency_code: str = Field(min_length=1)
    reason: str | None = None


class ApologyIssuedData(Payload):
    reason: str = Field(min_length=1)
    new_due_at: AwareDatetime
    letter_id: str | None = None


class ResultReadyData(Payload):
    result_number: str | None = None
    finished_at: AwareDatetime | None = None
    # Addition (issue 17): the result was issued as an electronic document: Decision 766's digitisation.
    electronic_result: bool | None = Field(
        default=None, description="Kết quả được cấp dưới dạng điện tử / the result was issued electronically"
    )


class ReturnedData(Payload):
    delivery: Delivery


class WithdrawnData(Payload):
    reason: str | None = None


class OverdueData(Payload):
    due_at: AwareDatetime


class DueSoonData(Payload):
    due_at: AwareDatetime
    remaining_working_hours: Number = Field(ge=0)


class SupplementDueSoonData(Payload):
    respond_by: AwareDatetime
    remaining_working_hours: Number = Field(ge=0)


class SupplementExpiredData(Payload):
    respond_by: AwareDatetime


class ResultUncollectedData(Payload):
    ready_at: AwareDatetime  # the result date
    after_working_days: Number = Field(gt=0)


class RatedData(Payload):
    rating: Rating
    comment: str | None = Field(default=None, max_length=2000)


# --- one frozen class per event type -------------------------------------------------------------


class DossierSubmitted(DossierEvent):
    event_type: Literal["dossier.submitted"] = "dossier.submitted"
    data: SubmittedData


class DossierAccepted(DossierEvent):
    event_type: Literal["dossier.accepted"] = "dossier.accepted"
    data: AcceptedData


class DossierRefused(DossierEvent):
    event_type: Literal["dossier.refused"] = "dossier.refused"
    data: RefusedData


class DossierSupplementRequested(DossierEvent):
    event_type: Literal["dossier.supplement_requested"] = "dossier.supplement_requested"
    data: SupplementRequestedData


class DossierSupplementReceived(DossierEvent):
    event_type: Literal["dossier.supplement_received"] = "dossier.supplement_received"
    data: SupplementReceivedData


class DossierPaymentRequested(DossierEvent):
    event_type: Literal["dossier.payment_requested"] = "dossier.payment_requested"
    data: PaymentRequestedData


class DossierPaymentCompleted(DossierEvent):
    event_type: Literal["dossier.payment_completed"] = "dossier.payment_completed"
    data: PaymentCompletedData


class DossierSuspended(DossierEvent):
    event_type: Literal["dossier.suspended"] = "dossier.suspended"
    data: SuspendedData


class DossierResumed(DossierEvent):
    event_type: Literal["dossier.resumed"] = "dossier.resumed"
    data: ResumedData


class DossierTransferred(DossierEvent):
    event_type: Literal["dossier.transferred"] = "dossier.transferred"
    data: TransferredData


class DossierApologyIssued(DossierEvent):
    event_type: Literal["dossier.apology_issued"] = "dossier.apology_issued"
    data: ApologyIssuedData


class DossierResultReady(DossierEvent):
    event_type: Literal["dossier.result_ready"] = "dossier.result_ready"
    data: ResultReadyData


class DossierReturned(DossierEvent):
    event_type: Literal["dossier.returned"] = "dossier.returned"
    data: ReturnedData


class DossierWithdrawn(DossierEvent):
    event_type: Literal["dossier.withdrawn"] = "dossier.withdrawn"
    data: WithdrawnData


class DossierOverdue(DossierEvent):
    event_type: Literal["dossier.overdue"] = "dossier.overdue"
    data: OverdueData


class DossierDueSoon(DossierEvent):
    """A contract addition (not in CONTRACT.md's first table): processing's clock warns that a
    dossier's due time is a configured number of working hours away, so the agency can issue an
    apology letter before the deadline. Informational: it never changes a dossier's status."""

    event_type: Literal["dossier.due_soon"] = "dossier.due_soon"
    data: DueSoonData


class DossierSupplementDueSoon(DossierEvent):
    """Addition (issue 18): processing's clock warns, once per supplement request, that the time the
    applicant has to hand in the papers ends soon (notification reminds the applicant)."""

    event_type: Literal["dossier.supplement_due_soon"] = "dossier.supplement_due_soon"
    data: SupplementDueSoonData


class DossierSupplementExpired(DossierEvent):
    """Addition (issue 18): the supplement time passed without `dossier.supplement_received`; the
    officer may now refuse the dossier (`reason_code` `supplement_expired`). Keeps the status."""

    event_type: Literal["dossier.supplement_expired"] = "dossier.supplement_expired"
    data: SupplementExpiredData


class DossierResultUncollected(DossierEvent):
    """Addition (issue 18): the result has waited a configured number of working days without being
    returned (notification reminds the applicant once). Keeps the status."""

    event_type: Literal["dossier.result_uncollected"] = "dossier.result_uncollected"
    data: ResultUncollectedData


class DossierRated(DossierEvent):
    event_type: Literal["dossier.rated"] = "dossier.rated"
    data: RatedData


DOSSIER_EVENT_TYPES: tuple[type[DossierEvent], ...] = (
    DossierSubmitted,
    DossierAccepted,
    DossierRefused,
    DossierSupplementRequested,
    DossierSupplementReceived,
    DossierPaymentRequested,
    DossierPaymentCompleted,
    DossierSuspended,
    DossierResumed,
    DossierTransferred,
    DossierApologyIssued,
    DossierResultReady,
    DossierReturned,
    DossierWithdrawn,
    DossierOverdue,
    DossierDueSoon,
    DossierRated,
    DossierSupplementDueSoon,
    DossierSupplementExpired,
    DossierResultUncollected,
)
