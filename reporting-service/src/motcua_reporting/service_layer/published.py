"""Published (frozen) reports: an official publishes the period's summary, resolution table and
scorecard; the JSON text is stored once with the positions reporting had folded up to, and served
unchanged for ever. The diff sets a published report against today's figures and counts the events
of the period that came after the publication: those at or past the recorded position of their
stream (each fact keeps its stream and position, adapters/dossier_store.py).
"""

import asyncio
import json
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from ..adapters.published_store import PublishedStore, folded_positions
from ..adapters.read_models import ReadModels
from ..domain.contributions import UNKNOWN
from ..domain.dossier import iso
from ..domain.figures import summary
from ..domain.timeliness import end_of, start_of
from .reports import Asked, Reports
from .resolution_report import resolution_table
from .scorecard_report import scope_body, scorecard_report

STREAM_PREFIX = "p"  # claim streams of dossier.events partitions (folds.stream_of)


def _offsets(positions: dict[str, int]) -> dict[str, dict[str, int]]:
    topic = {s.removeprefix(STREAM_PREFIX): n for s, n in positions.items() if s.startswith(STREAM_PREFIX)}
    other = {s: n for s, n in positions.items() if not s.startswith(STREAM_PREFIX)}
    return {
        "dossier.events": dict(sorted(topic.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else -1)),
        **({"direct": other} if other else {}),
    }


async def live_parts(reports: Reports, start: date, end: date, asked: Asked) -> dict[str, Any]:
    """The figures a published report freezes, computed now (the period's figures once, for the
    summary and the scorecard)."""
    figures = await reports.figures(start, end, asked)
    resolution, card = await asyncio.gather(
        resolution_table(reports, start, end, asked, "field"), scorecard_report(reports, start, end, asked, figures)
    )
    return {
        "summary": summary(figures, asked.catalogue),
        "resolution": resolution,
        "scorecard": card,
        "scope": scope_body(asked.agency_code, asked.scope.admin_level, asked.catalogue),
    }


async def publish(
    reports: Reports,
    store: PublishedStore,
    start: date,
    end: date,
    agency_code: str | None,
    admin_level: str | None,
    published_by: str | None,
) -> str:
    """Compute and store the report; its JSON text (what every later read answers)."""
    positions = await folded_positions(reports.models)  # read first: the figures hold at least these
    parts = await live_parts(reports, start, end, await reports.asked(agency_code, admin_level))
    published_at = datetime.now(UTC)
    report_id = uuid.uuid4().hex
    body = {
        "id": report_id,
        "published_at": iso(published_at),
        "published_by": published_by,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "scope": parts["scope"],
        "offsets": _offsets(positions),
        "summary": parts["summary"],
        "resolution": parts["resolution"],
        "scorecard": parts["scorecard"],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    await store.add(
        report_id,
        {
            "published_at": body["published_at"],
            "published_by": published_by,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "agency_code": agency_code,
            "admin_level": admin_level,
            "scope": parts["scope"],
            "positions": positions,
        },
        text,
    )
    return text


def entry(doc: dict[str, Any]) -> dict[str, Any]:
    """A published report as listed (without its figures)."""
    return {
        "id": doc["_id"],
        "published_at": doc["published_at"],
        "published_by": doc.get("published_by"),
        "period": {"from": doc["from"], "to": doc["to"]},
        "scope": doc["scope"],
    }


# --- the diff --------------------------------------------------------------------------------------


def _key(item: dict[str, Any], index: int) -> str:
    for name in ("code", "agency_code", "admin_level", "month"):
        value = item.get(name)
        if isinstance(value, str):
            return value
    return str(index)


def figures_of(value: Any, path: str = "") -> dict[str, Any]:
    """Every figure (number, or null for an unassessed rate) by path; list items by their code, so a
    row that moved is compared with itself. Texts (names, notes) are not figures."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            found.update(figures_of(v, f"{path}.{k}" if path else k))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            key = _key(item, i) if isinstance(item, dict) else str(i)
            found.update(figures_of(item, f"{path}[{key}]"))
    elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        found[path] = value
    return found


def changes(published: dict[str, Any], live: dict[str, Any]) -> list[dict[str, Any]]:
    before = {
        p: v
        for part in ("summary", "resolution", "scorecard")
        for p, v in figures_of(published.get(part), part).items()
    }
    now = {p: v for part in ("summary", "resolution", "scorecard") for p, v in figures_of(live.get(part), part).items()}
    return [
        {"path": p, "published": before.get(p), "live": now.get(p)}
        for p in sorted(before.keys() | now.keys())
        if before.get(p) != now.get(p)
    ]


def _came_later(fact: dict[str, Any], positions: dict[str, int]) -> bool:
    """At or past the position its stream had been folded to (a stream then unknown: all of it).
    A fact folded before positions were kept has none: it came before any publication."""
    if "offset" not in fact:
        return False
    return fact["stream"] not in positions or fact["offset"] >= positions[fact["stream"]]


async def late_events(
    models: ReadModels, positions: dict[str, int], start: date, end: date, asked: Asked, streams: list[str]
) -> dict[str, Any]:
    """Events of the scope's dossiers that came after the publication (folded past `positions`):
    those with occurred_at in the period (by type), and those before it. `streams`: every stream
    folded now (as the report's counters read them, kept while nothing is folded)."""
    catalogue, scope = asked.catalogue, asked.scope
    lo, hi = iso(start_of(start)), iso(end_of(end))
    # Candidates (a superset: the conditions may hold for different facts; FerretDB 1.24 answers
    # $elemMatch with nothing), then each fact in turn.
    later: list[dict[str, Any]] = [
        {"facts.stream": stream, "facts.offset": {"$gte": n}} for stream, n in positions.items()
    ]
    later += [{"facts.stream": stream} for stream in streams if stream not in positions]  # new since
    if not later:  # nothing folded then or since
        return {"in_period": 0, "before_period": 0, "by_type": {}}
    docs = await models.dossiers.find(
        {"$or": later}, {"facts": 1, "agency_code": 1, "handling_agency": 1, "procedure_code": 1}
    ).to_list(None)
    in_period: Counter[str] = Counter()
    before = 0
    for doc in docs:
        procedure = doc.get("procedure_code") or UNKNOWN
        if not any(
            scope.includes(doc.get(a) or UNKNOWN, procedure, catalogue) for a in ("agency_code", "handling_agency")
        ):
            continue
        for fact in doc["facts"]:
            if not _came_later(fact, positions):
                continue
            if lo <= fact["at"] < hi:
                in_period[f"dossier.{fact['type']}"] += 1
            elif fact["at"] < lo:
                before += 1
    return {"in_period": sum(in_period.values()), "before_period": before, "by_type": dict(sorted(in_period.items()))}


async def diff(reports: Reports, doc: dict[str, Any]) -> dict[str, Any]:
    published = json.loads(doc["body"])
    start, end = date.fromisoformat(doc["from"]), date.fromisoformat(doc["to"])
    asked = await reports.asked(doc.get("agency_code"), doc.get("admin_level"))
    live = await live_parts(reports, start, end, asked)
    found = changes(published, live)
    late = await late_events(reports.models, doc["positions"], start, end, asked, await reports.reads.streams())
    n, m = late["in_period"], late["before_period"]
    return {
        "id": published["id"],
        "published_at": published["published_at"],
        "compared_at": iso(datetime.now(UTC)),
        "changes": found,
        "count": len(found),
        "late_events": late,
        "explanation_vi": f"{len(found)} số liệu đã thay đổi; {n} sự kiện của kỳ báo cáo và {m} sự kiện trước kỳ "
        "được ghi nhận sau khi công bố.",
        "explanation_en": f"{len(found)} figures changed; {n} events of the period and {m} events before it "
        "arrived after the publication.",
    }
