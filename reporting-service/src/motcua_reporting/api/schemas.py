"""Response models of the reports API (the summary's shape is fixed by CONTRACT.md)."""

from pydantic import BaseModel, Field


class Period(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str

    model_config = {"populate_by_name": True}


class Share(BaseModel):
    count: int
    percent: float = Field(description="of its total, two decimals; 0.0 when the total is 0 (CONTRACT.md)")


class ByChannel(BaseModel):
    direct: Share
    online: Share
    postal: Share


class Received(BaseModel):
    total: int
    by_channel: ByChannel


class Resolved(BaseModel):
    total: int
    early: Share
    on_time: Share
    late: Share
    returned_by_post: Share = Field(description="percent of resolved.total")
    unclassified: int = Field(description="resolved without any due date (an anomaly): in total, in no bucket")
    late_with_apology: Share = Field(
        description="late with an apology letter issued before the deadline it "
        "apologised for; percent of resolved.total (issue 18)"
    )
    late_without_apology: Share = Field(
        description="late without one (the compliance breach; an apology imported "
        "with a time after that deadline counts here); percent of resolved.total"
    )


class InProgress(BaseModel):
    total: int = Field(description="within_deadline + overdue + paused")
    within_deadline: int
    overdue: int
    paused: int = Field(description="paused at the end of `to` (supplement, payment, suspension): counted apart")


class Satisfaction(BaseModel):
    total: int
    very_satisfied: Share
    satisfied: Share
    unsatisfied: Share


class AgencyReceived(BaseModel):
    agency_code: str
    agency_name: str
    received: int


class Columns(BaseModel):
    received: Received
    carried_over: int
    resolved: Resolved
    in_progress: InProgress
    refused: int = Field(description="refused in the period (counted apart, never as resolved)")
    withdrawn: int = Field(description="withdrawn in the period (counted apart, never as resolved)")
    on_time_rate: float | None = Field(
        description="(early + on time) / (early + on time + late) x 100; null when that base is 0 (nothing to rate)"
    )
    late_without_apology: int = Field(description="resolved late with no apology letter before the deadline")
    uncollected: int = Field(
        description="results ready and not returned at the end of `to`, announced by "
        "processing (`dossier.result_uncollected`, after MOTCUA_PROCESSING_UNCOLLECTED_AFTER_DAYS "
        "working days); resolved, so in no in_progress figure (issue 18)"
    )
    satisfaction: Satisfaction


class SummaryPublic(Columns):
    period: Period
    by_agency: list[AgencyReceived] = Field(description="sorted by received, largest first")


class ReceivedAtCounter(BaseModel):
    total: int = Field(
        description="direct and postal dossiers this agency's counter received in the period, "
        "for its own procedures or for other agencies'"
    )
    for_other_agencies: int = Field(description="among them, for another (competent) agency's procedures")
    at_other_counters: int = Field(
        description="this agency's own dossiers received at another agency's counter "
        "(in its `received`, not in its `total` here)"
    )


class AgencyRow(Columns):
    agency_code: str
    agency_name: str
    received_at_counter: ReceivedAtCounter | None = Field(
        default=None,
        description=(
            "tiếp nhận tại quầy của đơn vị (tiếp nhận không phụ thuộc địa giới hành chính) / counted by receiving "
            "counter (issue 18): `received` counts by competent agency, as before"
        ),
    )


class AgencyTablePublic(BaseModel):
    period: Period
    data: list[AgencyRow]
    count: int


NO_PROCEDURES = "null when there are no procedures"


class LevelRates(BaseModel):
    procedures: int
    level_4: int
    level_3: int
    online_rate: float | None = Field(description=f"(level 3 + level 4) / procedures x 100; {NO_PROCEDURES}")
    level_4_rate: float | None = Field(description=f"level 4 / procedures x 100; {NO_PROCEDURES}")
    level_3_rate: float | None = Field(description=f"level 3 / procedures x 100; {NO_PROCEDURES}")


class LevelRatesByAdminLevel(LevelRates):
    admin_level: str


class LevelRatesByAgency(LevelRates):
    agency_code: str
    agency_name: str


class Ratio(BaseModel):
    count: int
    of: int
    percent: float | None = Field(description="count / of x 100, two decimals; null when `of` is 0")


class OnlineIndicatorsPublic(BaseModel):
    period: Period
    services: LevelRates
    by_admin_level: list[LevelRatesByAdminLevel]
    by_agency: list[LevelRatesByAgency]
    services_with_online_dossiers: Ratio
    online_dossiers: Ratio
    online_payments: Ratio


class NarrativePublic(BaseModel):
    period: Period
    vi: str
    en: str


class MonthFigures(BaseModel):
    month: str
    received: int
    resolved: int
    early: int
    on_time: int
    late: int


class TrendPublic(BaseModel):
    period: Period
    data: list[MonthFigures]
