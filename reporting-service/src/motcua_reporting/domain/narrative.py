"""The period in words, in Vietnamese and English, in the style of the centres' quarterly reports
(DOMAIN.md), generated from the same figures as the summary. Numbers read 4,210 and 71.73% in English,
4.210 and 71,73% in Vietnamese (a point between thousands, a decimal comma)."""

from datetime import date, timedelta
from typing import Any

QUARTERS_VI = {1: "I", 2: "II", 3: "III", 4: "IV"}
QUARTERS_EN = {1: "first", 2: "second", 3: "third", 4: "fourth"}


VIETNAMESE_MARKS = str.maketrans(",.", ".,")


def number(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text.translate(VIETNAMESE_MARKS) if lang == "vi" else text


def pct(value: float, lang: str) -> str:
    text = f"{value:,.2f}%"
    return text.translate(VIETNAMESE_MARKS) if lang == "vi" else text


def _quarter(start: date, end: date) -> int | None:
    if start.day != 1 or start.month not in (1, 4, 7, 10):
        return None
    next_start = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return (start.month - 1) // 3 + 1 if end == next_start - timedelta(days=1) else None


def _period(start: date, end: date, lang: str) -> str:
    quarter = _quarter(start, end)
    if lang == "vi":
        if quarter:
            return f"Trong quý {QUARTERS_VI[quarter]} năm {start.year}"
        return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"
    if quarter:
        return f"In the {QUARTERS_EN[quarter]} quarter of {start.year}"
    return f"From {start:%d %B %Y} to {end:%d %B %Y}".replace(" 0", " ")


def _and(items: list[str], lang: str) -> str:
    word = "và" if lang == "vi" else "and"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def narrative(body: dict[str, Any], lang: str) -> str:
    """The summary `body` (GET /v1/reports/summary) told as a paragraph in `lang` ("vi" or "en")."""
    start, end = date.fromisoformat(body["period"]["from"]), date.fromisoformat(body["period"]["to"])
    received, resolved = body["received"], body["resolved"]
    channels, progress, rated = received["by_channel"], body["in_progress"], body["satisfaction"]
    vi = lang == "vi"

    def count(value: int) -> str:
        return number(value, lang)

    def share(part: dict[str, Any], words: str) -> str:
        return f"{count(part['count'])} {words} ({pct(part['percent'], lang)})"

    if vi:
        parts = [
            f"{_period(start, end, 'vi')}, Trung tâm đã tiếp nhận {count(received['total'])} hồ sơ: "
            f"{share(channels['direct'], 'trực tiếp')}, {share(channels['online'], 'trực tuyến')} và "
            f"{share(channels['postal'], 'qua dịch vụ bưu chính công ích')}.",
            f"Kỳ trước chuyển sang {count(body['carried_over'])} hồ sơ.",
            f"Đã trả kết quả {count(resolved['total'])} hồ sơ: {share(resolved['early'], 'trước hạn')}, "
            f"{share(resolved['on_time'], 'đúng hạn')} và {share(resolved['late'], 'quá hạn')}; "
            f"{share(resolved['returned_by_post'], 'trả qua bưu chính')}.",
            f"Đang giải quyết {count(progress['total'])} hồ sơ, trong đó {count(progress['overdue'])} hồ sơ quá hạn.",
        ]
    else:
        parts = [
            f"{_period(start, end, 'en')}, the centre received {count(received['total'])} dossiers: "
            f"{share(channels['direct'], 'directly')}, {share(channels['online'], 'online')} and "
            f"{share(channels['postal'], 'by post')}.",
            f"{count(body['carried_over'])} were carried over from the previous period.",
            f"Results of {count(resolved['total'])} dossiers were returned: "
            f"{share(resolved['early'], 'before the deadline')}, {share(resolved['on_time'], 'on time')} and "
            f"{share(resolved['late'], 'late')}; {share(resolved['returned_by_post'], 'were returned by post')}.",
            f"{count(progress['total'])} are being handled, of which {count(progress['overdue'])} are overdue.",
        ]
    top = body["by_agency"][:3]
    if top:
        named = [
            f"{a['agency_name']} ({count(a['received'])}{' hồ sơ' if vi else ' dossiers'})"
            if i == 0
            else f"{a['agency_name']} ({count(a['received'])})"
            for i, a in enumerate(top)
        ]
        lead = (
            "Các đơn vị tiếp nhận nhiều hồ sơ nhất là"
            if vi
            else ("The busiest agency was" if len(top) == 1 else "The busiest agencies were")
        )
        parts.append(f"{lead} {_and(named, lang)}.")
    if rated["total"]:
        ratings = [
            share(rated["very_satisfied"], "rất hài lòng" if vi else "very satisfied"),
            share(rated["satisfied"], "hài lòng" if vi else "satisfied"),
            share(rated["unsatisfied"], "không hài lòng" if vi else "unsatisfied"),
        ]
        lead = (
            f"Có {count(rated['total'])} lượt đánh giá mức độ hài lòng:"
            if vi
            else f"{count(rated['total'])} applicants rated the service:"
        )
        parts.append(f"{lead} {_and(ratings, lang)}.")
    return " ".join(parts)
