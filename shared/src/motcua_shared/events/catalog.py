"""Catalogue events, published on `catalog.events` keyed by agency or procedure code (CONTRACT.md)."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

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


class AgencyRegisteredData(Payload):
    agency_code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1)
    admin_level: AdminLevel
    parent_code: str | None = None


class ProcedurePublishedData(Payload):
    procedure_code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1)
    agency_code: str = Field(min_length=1)
    admin_level: AdminLevel
    online_level: Literal[2, 3, 4]
    processing_time: ProcessingTime
    fee: Number | None = Field(default=None, ge=0)


class ProcedureRetiredData(Payload):
    procedure_code: str = Field(min_length=1)


class AgencyRegistered(Envelope):
    event_type: Literal["agency.registered"] = "agency.registered"
    data: AgencyRegisteredData


class ProcedurePublished(Envelope):
    event_type: Literal["procedure.published"] = "procedure.published"
    data: ProcedurePublishedData


class ProcedureRetired(Envelope):
    event_type: Literal["procedure.retired"] = "procedure.retired"
    data: ProcedureRetiredData


CATALOG_EVENT_TYPES: tuple[type[Envelope], ...] = (AgencyRegistered, ProcedurePublished, ProcedureRetired)
