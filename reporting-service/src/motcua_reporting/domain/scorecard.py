"""The Decision 766/QĐ-TTg (2022) scorecard from a period's counts (pure, no I/O).

Groups and weights as the national Public Service Portal shows the index (docs/reporting.md cites
the sources and says where they are uncertain): publicity and transparency 18, progress and results
of resolution 20, online public services 12, online payment 10, digitisation 22, satisfaction 18.
An indicator earns `max_points x rate / 100` (rounded half up to two decimals). An indicator the events
cannot support, or whose base is empty in the period, is *not assessed*: listed, never scored as zero,
and left out of every total (`total_points` and `max_points`, and each group's, add up the assessed
indicators only). Indicators with no points of their own (the overdue share, the average time) are
shown to steer by and add nothing.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .timeliness import rate

PERCENT, DAYS = "%", "days"
MICROSECONDS_PER_DAY = 86_400 * 10**6


@dataclass(frozen=True)
class Share:
    """`count` of `of` (a rate's numerator and base)."""

    count: int = 0
    of: int = 0


@dataclass(frozen=True)
class ScorecardCounts:
    """What the scorecard is computed from, for one period and scope."""

    resolved_in_time: Share  # early + on time, of early + on time + late (the on-time rate)
    open_overdue: Share  # overdue at `to`, of every dossier in progress then (paused ones included)
    resolution_microseconds: int  # summed over the dossiers resolved in the period, clock start to result
    resolved: int  # how many that sum covers
    online_dossiers: Share  # online dossiers, of every dossier of level 3-4 procedures received
    services_with_online_dossiers: Share  # level 3-4 procedures with an online dossier, of level 3-4 procedures
    paid_online: Share  # dossiers of fee-charging procedures paid online, of those dossiers
    digitised: Share  # dossiers received digitised, of those whose submission said
    electronic_results: Share  # results issued electronically, of those whose result event said
    satisfied: Share  # very satisfied + satisfied, of the ratings


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    max_points: int
    unit: str = PERCENT
    source: str | None = None  # the ScorecardCounts field it is computed from; None: data we do not have
    missing_vi: str = ""  # why it is not assessed, when it cannot be
    missing_en: str = ""


@dataclass(frozen=True)
class Group:
    code: str
    name_vi: str
    name_en: str
    indicators: tuple[Indicator, ...]


NO_DATA_VI, NO_DATA_EN = "Không có dữ liệu trong sự kiện: ", "Not in our events: "

GROUPS = (
    Group(
        "publicity",
        "Công khai, minh bạch",
        "Publicity and transparency",
        (
            Indicator(
                "procedures_published_on_time",
                "Tỷ lệ TTHC được công bố, công khai đúng hạn",
                "Procedures published on time",
                4,
                missing_vi=NO_DATA_VI + "ngày quyết định công bố TTHC",
                missing_en=NO_DATA_EN + "the date each procedure was decided, to compare with its publication",
            ),
            Indicator(
                "dossiers_published_on_portal",
                "Công khai, đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia",
                "Dossiers synchronised and public on the National Public Service Portal",
                14,
                missing_vi=NO_DATA_VI + "việc đồng bộ hồ sơ lên Cổng DVCQG",
                missing_en=NO_DATA_EN + "synchronisation of dossiers with the national portal",
            ),
        ),
    ),
    Group(
        "progress",
        "Tiến độ, kết quả giải quyết",
        "Progress and results of resolution",
        (
            Indicator(
                "resolved_in_time",
                "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
                "Dossiers resolved early or on time",
                20,
                source="resolved_in_time",
            ),
            Indicator(
                "open_overdue",
                "Tỷ lệ hồ sơ đang giải quyết quá hạn",
                "Dossiers in progress and overdue",
                0,
                source="open_overdue",
            ),
            Indicator(
                "average_resolution_days",
                "Thời gian giải quyết trung bình",
                "Average resolution time",
                0,
                unit=DAYS,
                source="resolution",
            ),
        ),
    ),
    Group(
        "online_services",
        "Cung cấp dịch vụ công trực tuyến",
        "Online public services",
        (
            Indicator(
                "online_dossiers",
                "Tỷ lệ hồ sơ trực tuyến (TTHC mức độ 3, 4)",
                "Online dossiers of level 3-4 procedures",
                6,
                source="online_dossiers",
            ),
            Indicator(
                "services_with_online_dossiers",
                "Tỷ lệ DVC trực tuyến có phát sinh hồ sơ trực tuyến",
                "Level 3-4 procedures with online dossiers",
                6,
                source="services_with_online_dossiers",
            ),
        ),
    ),
    Group(
        "online_payment",
        "Thanh toán trực tuyến",
        "Online payment",
        (
            Indicator(
                "paid_online",
                "Tỷ lệ hồ sơ thanh toán trực tuyến",
                "Fee-charging dossiers paid online",
                10,
                source="paid_online",
            ),
        ),
    ),
    Group(
        "digitisation",
        "Số hóa hồ sơ, kết quả giải quyết",
        "Digitisation of dossiers and results",
        (
            Indicator(
                "digitised_dossiers", "Tỷ lệ số hóa hồ sơ TTHC", "Dossiers digitised at intake", 8, source="digitised"
            ),
            Indicator(
                "electronic_results",
                "Tỷ lệ cấp kết quả điện tử",
                "Results issued electronically",
                8,
                source="electronic_results",
            ),
            Indicator(
                "digitised_data_reused",
                "Tỷ lệ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
                "Digitised data reused",
                6,
                missing_vi=NO_DATA_VI + "việc khai thác lại dữ liệu đã số hóa",
                missing_en=NO_DATA_EN + "the reuse of digitised documents",
            ),
        ),
    ),
    Group(
        "satisfaction",
        "Mức độ hài lòng",
        "Satisfaction",
        (
            Indicator(
                "feedback_on_time",
                "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
                "Feedback handled on time",
                6,
                missing_vi=NO_DATA_VI + "phản ánh, kiến nghị",
                missing_en=NO_DATA_EN + "citizens' feedback",
            ),
            Indicator(
                "feedback_satisfaction",
                "Tỷ lệ hài lòng trong xử lý phản ánh, kiến nghị",
                "Satisfaction with feedback handling",
                6,
                missing_vi=NO_DATA_VI + "phản ánh, kiến nghị",
                missing_en=NO_DATA_EN + "citizens' feedback",
            ),
            Indicator(
                "service_satisfaction",
                "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
                "Satisfaction with receiving and resolving dossiers",
                6,
                source="satisfied",
            ),
        ),
    ),
)


def hundredths(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def points_for(max_points: int, value: float) -> Decimal:
    """An indicator's points: its share of the maximum, as the rate is of 100 %."""
    return hundredths(Decimal(max_points) * Decimal(str(value)) / 100)


def average_days(microseconds: int, count: int) -> float | None:
    if count <= 0:
        return None
    return float(hundredths(Decimal(microseconds) / count / MICROSECONDS_PER_DAY))


def _measure(indicator: Indicator, counts: ScorecardCounts) -> tuple[float | None, str, str]:
    """The indicator's value, and a note saying what it was computed from."""
    if indicator.source == "resolution":
        value = average_days(counts.resolution_microseconds, counts.resolved)
        return (
            value,
            f"Ngày lịch, từ khi bắt đầu tính thời hạn đến khi có kết quả, {counts.resolved} hồ sơ",
            f"Calendar days from the clock's start to the result, {counts.resolved} dossiers",
        )
    assert indicator.source is not None
    share: Share = getattr(counts, indicator.source)
    return rate(share.count, share.of), f"{share.count}/{share.of}", f"{share.count} of {share.of}"


def indicator_row(indicator: Indicator, counts: ScorecardCounts) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": indicator.code,
        "name_vi": indicator.name_vi,
        "name_en": indicator.name_en,
        "value": None,
        "unit": indicator.unit,
        "points": 0.0,
        "max_points": indicator.max_points,
        "assessed": False,
    }
    if indicator.source is None:
        return {**row, "note_vi": indicator.missing_vi, "note_en": indicator.missing_en}
    value, note_vi, note_en = _measure(indicator, counts)
    if value is None:
        return {
            **row,
            "note_vi": "Không có hồ sơ làm cơ sở trong kỳ (" + note_vi + ")",
            "note_en": f"Nothing to measure in the period ({note_en})",
        }
    earned = points_for(indicator.max_points, value) if indicator.unit == PERCENT else Decimal(0)
    if indicator.max_points == 0:
        note_vi, note_en = note_vi + "; chỉ để theo dõi, không tính điểm", note_en + "; shown to steer by, no points"
    return {**row, "value": value, "points": float(earned), "assessed": True, "note_vi": note_vi, "note_en": note_en}


def scorecard(counts: ScorecardCounts) -> dict[str, Any]:
    """The groups with their indicators and points; totals over the assessed indicators only."""
    groups = []
    for group in GROUPS:
        rows = [indicator_row(i, counts) for i in group.indicators]
        assessed = [r for r in rows if r["assessed"]]
        groups.append(
            {
                "code": group.code,
                "name_vi": group.name_vi,
                "name_en": group.name_en,
                "points": float(sum(Decimal(str(r["points"])) for r in assessed)),
                "max_points": sum(r["max_points"] for r in assessed),
                "indicators": rows,
            }
        )
    return {
        "total_points": float(sum(Decimal(str(g["points"])) for g in groups)),
        "max_points": sum(g["max_points"] for g in groups),
        "groups": groups,
    }
