"""Catalogue events, published on `catalog.events` keyed by agency or procedure code (CONTRACT.md)."""

from datetime import date
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from .envelope import Envelope, Number, Payload


class AdminLevel(StrEnum):
    PROVINCIAL = "provincial"
    DISTRICT = "district"
    COMMUNE = "commune"


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"


class ProcessingTime(Payload):
    value: Number = Field(gt=0)
    unit: TimeUnit


class WorkingDays(Payload):
    """A time limit counted in working days (8 working hours each, on the working calendar)."""

    value: Number = Field(gt=0)
    unit: Literal["working_days"] = "working_days"


class AgencyRegisteredData(Payload):
    agency_code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1)
    admin_level: AdminLevel
    parent_code: str | None = None


class ProcedureField(Payload):
    """The field (lĩnh vực) a procedure belongs to: periodic reports are broken down by it."""

    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=200)


class ProcedurePublishedData(Payload):
    procedure_code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1)
    agency_code: str = Field(min_length=1)
    admin_level: AdminLevel
    online_level: Literal[2, 3, 4]
    processing_time: ProcessingTime
    fee: Number | None = Field(default=None, ge=0)
    # Addition (issue 18): the time an applicant has to hand in papers asked for, unless the officer
    # gives another; absent: processing's configured default.
    supplement_time: WorkingDays | None = None
    # Additions (issue 18 item 3): the daily receipt cut-off, local time (Asia/Ho_Chi_Minh): a dossier
    # received after it counts from the next working day; and the processing time of online dossiers
    # when it differs from the counter's. Both absent: as before.
    receipt_cutoff: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        examples=["15:00"],
        description='giờ tiếp nhận cuối ngày "HH:MM" (giờ Việt Nam): hồ sơ nhận sau giờ này được tính từ ngày '
        'làm việc tiếp theo / daily cut-off "HH:MM", local time: a dossier received after it counts '
        "from the next working day (its clock starts at that day's first working period)",
    )
    online_processing_time: ProcessingTime | None = Field(
        default=None,
        description="thời hạn giải quyết hồ sơ trực tuyến / the processing time of online dossiers, "
        "when it differs from `processing_time` (the counter's)",
    )
    field: ProcedureField | None = Field(
        default=None, description='lĩnh vực; a procedure without one is reported under "other" (Khác)'
    )


class ProcedureRetiredData(Payload):
    procedure_code: str = Field(min_length=1)


class AgencyRegistered(Envelope):
    event_type: Literal["agency.registered"] = "agency.registered"
    data: AgencyRegisteredData


class ProcedurePublished(Envelope):
    event_type: Literal["procedure.published"] = "procedure.published"
    data: ProcedurePublishedData


class AgencySupersededData(Payload):
    """Addition (issue 18, the two-level local government from 1 July 2025): `agency_code` is dissolved
    and `successor_code` takes over its procedures and its open dossiers from `effective_date` (a day in
    Asia/Ho_Chi_Minh). Reports for periods ending before that day still show the old agency."""

    agency_code: str = Field(min_length=1, max_length=50)
    successor_code: str = Field(min_length=1, max_length=50)
    effective_date: date
    reason: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _not_itself(self) -> Self:
        if self.agency_code == self.successor_code:
            raise ValueError("an agency cannot succeed itself")
        return self


class ProcedureRetired(Envelope):
    event_type: Literal["procedure.retired"] = "procedure.retired"
    data: ProcedureRetiredData


class AgencySuperseded(Envelope):
    """Keyed by the dissolved agency's code on catalog.events."""

    event_type: Literal["agency.superseded"] = "agency.superseded"
    data: AgencySupersededData


CATALOG_EVENT_TYPES: tuple[type[Envelope], ...] = (
    AgencyRegistered,
    ProcedurePublished,
    ProcedureRetired,
    AgencySuperseded,
)
