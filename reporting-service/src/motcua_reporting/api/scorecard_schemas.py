"""Response and request models of the Decision 766 scorecard and of the published reports."""

from datetime import date, datetime
from typing import Any

from motcua_shared.events import AdminLevel
from pydantic import BaseModel, ConfigDict, Field

from .schemas import Period


class ReportScope(BaseModel):
    agency_code: str | None = Field(description="the agency (and those below it); null: the whole province")
    admin_level: str | None
    unit_name_vi: str
    unit_name_en: str


class Labelled(BaseModel):
    """A group or an indicator of the decision: its code and its name in both languages."""

    code: str
    name_vi: str
    name_en: str


class IndicatorPublic(Labelled):
    value: float | None = Field(description="in `unit`; null when not assessed")
    unit: str = Field(description="`%` or `days`")
    points: float = Field(description="max_points x value / 100, two decimals; 0 when not assessed")
    max_points: int
    assessed: bool = Field(
        description="false: the events hold no data for it, or its base is empty in the period; then it is in no total"
    )
    note_vi: str
    note_en: str


class GroupPublic(Labelled):
    points: float = Field(description="over its assessed indicators")
    max_points: int = Field(description="over its assessed indicators")
    indicators: list[IndicatorPublic]


class ScorecardPublic(BaseModel):
    period: Period
    scope: ReportScope
    total_points: float = Field(description="over the assessed indicators only")
    max_points: int = Field(description="the maximum of the assessed indicators only (100 when all are)")
    groups: list[GroupPublic]


class PublishRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: date = Field(alias="from", description="first day, YYYY-MM-DD (Asia/Ho_Chi_Minh), inclusive")
    to: date = Field(description="last day, inclusive")
    agency_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="this agency and those below it; absent: the whole province",
    )
    admin_level: AdminLevel | None = None


class PublishedReportPublic(BaseModel):
    """A published report as stored (GET answers the stored bytes as they were)."""

    id: str
    published_at: datetime
    published_by: str | None
    period: Period
    scope: ReportScope
    offsets: dict[str, dict[str, int]] = Field(
        description="per stream reporting folds (`dossier.events` partitions, and `direct` for events folded "
        "without Kafka): the next position not yet folded when the report was computed"
    )
    summary: dict[str, Any]
    resolution: dict[str, Any] | None = Field(description="the resolution table by field (null if not built)")
    scorecard: dict[str, Any]


class PublishedEntry(BaseModel):
    id: str
    published_at: datetime
    published_by: str | None
    period: Period
    scope: ReportScope


class PublishedList(BaseModel):
    data: list[PublishedEntry]
    count: int


class FigureChange(BaseModel):
    path: str = Field(description="where the figure is, e.g. `summary.resolved.total` (list items by their code)")
    published: Any
    live: Any


class LateEvents(BaseModel):
    in_period: int = Field(description="events with occurred_at in the period folded after the publication")
    before_period: int = Field(
        description="events with occurred_at before the period folded after it (they move the carried-over figures)"
    )
    by_type: dict[str, int] = Field(description="the events in the period by event_type")


class PublishedDiff(BaseModel):
    id: str
    published_at: datetime
    compared_at: datetime
    changes: list[FigureChange]
    count: int
    late_events: LateEvents
    explanation_vi: str
    explanation_en: str
