"""Request and response bodies, named by role (…Create, …Public)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from motcua_shared import events as ev
from motcua_shared.freshness import AsOf
from pydantic import BaseModel, ConfigDict, EmailStr, Field

Code = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._\-]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- catalogue -----------------------------------------------------------------------------------


class AgencyCreate(Strict):
    agency_code: str = Code
    name: str = Field(min_length=1, max_length=300)
    admin_level: ev.AdminLevel
    parent_code: str | None = None


class AgencyPublic(BaseModel):
    agency_code: str
    name: str
    admin_level: ev.AdminLevel
    parent_code: str | None = None


class AgenciesPublic(BaseModel):
    data: list[AgencyPublic]
    count: int


class ProcedureCreate(Strict):
    procedure_code: str = Code
    name: str = Field(min_length=1, max_length=500)
    agency_code: str = Code
    admin_level: ev.AdminLevel | None = Field(default=None, description="defaults to the agency's level")
    online_level: Literal[2, 3, 4]
    processing_time: ev.ProcessingTime
    fee: Decimal | None = Field(default=None, ge=0, description="in đồng; absent when free")
    receipt_cutoff: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        examples=["15:00"],
        description='giờ tiếp nhận cuối ngày "HH:MM" (giờ Việt Nam) / daily cut-off, local time: a dossier '
        "received after it counts from the next working day",
    )
    online_processing_time: ev.ProcessingTime | None = Field(
        default=None,
        description="thời hạn giải quyết hồ sơ trực tuyến / the processing time of online dossiers, "
        "when not `processing_time`",
    )
    supplement_time: ev.WorkingDays | None = Field(
        default=None,
        description="thời hạn bổ sung hồ sơ / the working days an applicant has for papers asked for; "
        "absent: processing's default (15)",
    )


class ProcedurePublic(BaseModel):
    procedure_code: str
    name: str
    agency_code: str
    admin_level: ev.AdminLevel
    online_level: int
    processing_time: ev.ProcessingTime
    fee: Decimal | None = None
    retired: bool = False
    receipt_cutoff: str | None = Field(default=None, description="giờ tiếp nhận cuối ngày / daily cut-off, HH:MM")
    online_processing_time: ev.ProcessingTime | None = None
    supplement_time: ev.WorkingDays | None = None


class ProceduresPublic(BaseModel):
    data: list[ProcedurePublic]
    count: int


class ProcedureRetirement(BaseModel):
    procedure_code: str
    retired: bool


# --- dossiers ------------------------------------------------------------------------------------


class ApplicantIn(Strict):
    full_name: str = Field(min_length=1, max_length=200)
    id_number: str | None = Field(default=None, max_length=20)
    phone: str = Field(
        min_length=8,
        max_length=20,
        pattern=r"^\+?[0-9 .\-()]{8,20}$",
        description="required: the applicant follows the dossier with it",
    )
    email: EmailStr | None = None
    address: str | None = Field(default=None, max_length=500)
    preferred_language: Literal["vi", "en"] | None = None
    zalo_consent: bool | None = Field(
        default=None,
        description=(
            "Người nộp đồng ý nhận thông báo qua Zalo (tin ZNS) theo số điện thoại trên; bỏ trống là không đồng ý. "
            "/ The applicant agrees to be notified on Zalo (ZNS messages) at the phone above; absent means no."
        ),
    )


class DossierCreate(Strict):
    procedure_code: str = Code
    agency_code: str = Code
    channel: ev.Channel
    applicant: ApplicantIn
    documents: list[ev.Document] | None = Field(default=None, max_length=200)
    receiving_agency_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="đơn vị tiếp nhận khi khác cơ quan có thẩm quyền (tiếp nhận không phụ thuộc địa giới hành chính) / "
        "the agency whose counter received a direct or postal dossier, when not `agency_code`; default "
        "for an officer: their own agency. Any agency of the province's catalogue may receive.",
    )


class DossierReceipt(BaseModel):
    dossier_id: str
    dossier_code: str
    status: Literal["submitted", "accepted"]
    channel: ev.Channel
    procedure_code: str
    procedure_name: str
    agency_code: str
    receiving_agency_code: str | None = Field(
        default=None, description="the counter that received it, when not the competent agency_code's"
    )
    received_at: datetime
    appointment_at: datetime | None = Field(description="the due date, for dossiers accepted on the spot")
    tracking_url: str | None = Field(
        default=None,
        description="the applicant's tracking page with the code filled in "
        "(MOTCUA_INTAKE_PUBLIC_BASE_URL/track?code=…); absent only in answers stored before it existed",
    )


class OwnerProof(Strict):
    phone: str = Field(min_length=8, max_length=20, description="the phone given at submission")


class SupplementCreate(OwnerProof):
    documents: list[ev.Document] = Field(min_length=1, max_length=200)


class WithdrawalCreate(OwnerProof):
    reason: str | None = Field(default=None, max_length=1000)


class RatingCreate(OwnerProof):
    rating: ev.Rating
    comment: str | None = Field(default=None, max_length=2000)


class PaymentCallback(Strict):
    dossier_code: str = Field(min_length=1, max_length=80)
    amount: Decimal = Field(ge=0)
    method: ev.PaymentMethod = ev.PaymentMethod.ONLINE
    transaction_id: str | None = Field(default=None, max_length=100)


class DossierActionResult(BaseModel):
    dossier_code: str
    event_id: str
    status: str | None = None
    appointment_at: datetime | None = None
    rating: ev.Rating | None = None
    documents_received: int | None = None


class TrackingPublic(BaseModel):
    dossier_code: str
    status: str
    appointment_at: datetime | None
    supplement_respond_by: datetime | None = Field(
        default=None,
        description="hạn nộp giấy tờ bổ sung / while papers are asked for: the time to hand them in "
        "(after it the dossier may be refused)",
    )
    as_of: AsOf | None = Field(
        default=None, description="how current this answer is: intake's view is folded from dossier.events"
    )
