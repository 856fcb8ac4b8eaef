"""Response models of the resolution table and the drill-down."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from ..service_layer.drilldown import FIGURES
from .schemas import Period


class ResolutionCells(BaseModel):
    """One row of the form (Circular 01/2020/TT-VPCP); the form's column numbers in brackets."""

    to_resolve: int = Field(description="(3) = (4) + (5) + (6)")
    received_online: int = Field(description="(4) received online in the period")
    received_direct_or_postal: int = Field(description="(5) received at the counter or by post in the period")
    carried_over: int = Field(description="(6) received before `from` and still open at `from`")
    resolved: int = Field(description="(7) = (8) + (9) + (10) (+ resolved_unclassified): result date in the period")
    resolved_early: int = Field(description="(8) before the deadline")
    resolved_on_time: int = Field(description="(9) on the due date")
    resolved_late: int = Field(description="(10) after the due date")
    in_progress: int = Field(description="(11) = (12) + (13) + in_progress_paused: open at the end of `to`")
    in_progress_within_deadline: int = Field(description="(12)")
    in_progress_overdue: int = Field(description="(13) due date before `to`")
    in_progress_paused: int = Field(description="paused at the end of `to` (supplement, payment, suspension)")
    refused: int = Field(description="refused in the period: neither resolved nor being resolved")
    withdrawn: int = Field(description="withdrawn in the period: neither resolved nor being resolved")
    resolved_unclassified: int = Field(description="resolved without any due date (an anomaly)")
    on_time_rate: float | None = Field(description="((8) + (9)) / ((8) + (9) + (10)) x 100; null when that base is 0")


class ResolutionRow(ResolutionCells):
    order: int = Field(description="(1) the row's number in the whole table")
    code: str = Field(description="the field's code (`other`: procedures without a field) or the agency's code")
    name: str = Field(description="(2) the field's or the agency's name")


class ResolutionLevel(BaseModel):
    admin_level: Literal["provincial", "district", "commune", "unknown"]
    name_vi: str
    name_en: str
    rows: list[ResolutionRow]
    subtotal: ResolutionCells


class ResolutionScope(BaseModel):
    agency_code: str | None
    admin_level: str | None
    unit_name_vi: str = Field(description="the reporting unit (the agency asked for, else the whole province)")
    unit_name_en: str


class ResolutionTablePublic(BaseModel):
    period: Period
    by: Literal["field", "agency"]
    scope: ResolutionScope
    levels: list[ResolutionLevel]
    total: ResolutionCells


Figure = StrEnum("Figure", {name: name for name in FIGURES})  # type: ignore[misc]


class DossierBehind(BaseModel):
    """A dossier behind a figure (no personal data)."""

    dossier_code: str | None
    agency_code: str = Field(description="the agency the figure counts it under (after transfers)")
    procedure_code: str
    field_code: str
    admin_level: str
    channel: str | None
    received_date: str | None
    due_date: str | None = Field(description="the due date in effect now (moved by pauses)")
    result_date: str | None
    status: str


class DossiersBehindPublic(BaseModel):
    period: Period
    figure: str
    data: list[DossierBehind]
    count: int = Field(description="items on this page")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
