"""The resolution table of the periodic report (form of Circular 01/2020/TT-VPCP), from counter rows
(pure, no I/O).

One row per field (lĩnh vực) -- or per agency -- grouped by the dossiers' administrative level, with a
subtotal per level and a grand total. The columns are the summary's tallies (domain/figures.py) under
the form's names, so every cell agrees with the summary and the per-agency table:
(3) to_resolve = (4) received_online + (5) received_direct_or_postal + (6) carried_over;
(7) resolved = (8) early + (9) on_time + (10) late (+ resolved_unclassified, an anomaly: a result
without any due date);
(11) in_progress = (12) within_deadline + (13) overdue + paused (the clock stopped at `to`);
refused and withdrawn in the period apart. For the whole table (3) = (7) + (11) + refused + withdrawn
(docs/reporting.md, *The resolution table*).
"""

import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import Any

from .catalogue import Catalogue, Scope
from .contributions import CounterKey
from .figures import Tally
from .timeliness import on_time_rate

LEVELS = ("provincial", "district", "commune")
UNKNOWN_LEVEL = "unknown"  # a procedure and an agency not in the catalogue: shown last, when it has figures
LEVEL_NAMES = {
    "provincial": ("Cấp tỉnh", "Provincial level"),
    "district": ("Cấp huyện", "District level"),
    "commune": ("Cấp xã", "Commune level"),
    UNKNOWN_LEVEL: ("Chưa xác định cấp", "Level unknown"),
}

# The form's columns (JSON names), in order, with the form's numbers where it has one.
COLUMNS: list[tuple[str, str | None]] = [
    ("to_resolve", "3"),
    ("received_online", "4"),
    ("received_direct_or_postal", "5"),
    ("carried_over", "6"),
    ("resolved", "7"),
    ("resolved_early", "8"),
    ("resolved_on_time", "9"),
    ("resolved_late", "10"),
    ("in_progress", "11"),
    ("in_progress_within_deadline", "12"),
    ("in_progress_overdue", "13"),
    ("in_progress_paused", None),
    ("refused", None),
    ("withdrawn", None),
    ("resolved_unclassified", None),
]

Group = tuple[str, str]  # (admin level, field code or agency code)

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"  # Vietnamese order (f, j, w, z for foreign names)
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng


def vietnamese_order(name: str) -> tuple[tuple[int, ...], str]:
    """A sort key in Vietnamese dictionary order: đ after d, ă and â after a, tones after the letters
    (so "Đất đai" comes after "Dân số", not after "Xây dựng" as code points would put it)."""
    letters = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", name.lower()) if c not in TONES)
    )
    # Anything else (a space, a digit) before every letter, so that "Hộ tịch" comes before "Hội".
    return tuple(ALPHABET.index(c) + 1 if c in ALPHABET else ord(c) - 0x110000 for c in letters), name


def figure_name(key: CounterKey) -> str:
    """The tally name of a counter row, as domain/figures.py names it."""
    return key.kind if key.dim == "-" else f"{key.kind}.{key.dim}"


def level_of(catalogue: Catalogue, procedure: str, agency: str) -> str:
    return catalogue.admin_level_of(procedure, agency) or UNKNOWN_LEVEL


def grouper(by: str, catalogue: Catalogue) -> Callable[[str, str], Group]:
    """(agency, procedure) -> (level, field code) or (level, agency code): the row a count goes to."""
    if by == "agency":
        return lambda agency, procedure: (level_of(catalogue, procedure, agency), agency)
    return lambda agency, procedure: (level_of(catalogue, procedure, agency), catalogue.field_of(procedure)[0])


def tally_groups(
    rows: list[tuple[CounterKey, int]],
    carried: Counter[tuple[str, str, str]],
    in_progress: Counter[tuple[str, str, str]],
    scope: Scope,
    catalogue: Catalogue,
    group: Callable[[str, str], Group],
) -> dict[Group, Tally]:
    """The period's flows and the open states at both ends, added up per row of the table."""
    found: dict[Group, Tally] = {}
    for key, n in rows:
        if n and scope.includes(key.agency, key.procedure, catalogue):
            found.setdefault(group(key.agency, key.procedure), Counter())[figure_name(key)] += n
    for (agency, procedure, _state), n in carried.items():
        if n and scope.includes(agency, procedure, catalogue):
            found.setdefault(group(agency, procedure), Counter())["carried_over"] += n
    for (agency, procedure, state), n in in_progress.items():
        if n and scope.includes(agency, procedure, catalogue):
            found.setdefault(group(agency, procedure), Counter())[f"in_progress.{state}"] += n
    # A partial month reads two running totals: a row may net to nothing, and is then no row at all.
    return {g: t for g, t in found.items() if any(t.values())}


def columns(t: Tally) -> dict[str, Any]:
    """One row's cells under the form's names."""
    online = t["received.online"]
    direct_or_postal = t["received.direct"] + t["received.postal"] + t["received.?"]
    early, on_time, late = t["resolved.early"], t["resolved.on_time"], t["resolved.late"]
    within, overdue, paused = t["in_progress.within_deadline"], t["in_progress.overdue"], t["in_progress.paused"]
    return {
        "to_resolve": online + direct_or_postal + t["carried_over"],
        "received_online": online,
        "received_direct_or_postal": direct_or_postal,
        "carried_over": t["carried_over"],
        "resolved": early + on_time + late + t["resolved.unclassified"],
        "resolved_early": early,
        "resolved_on_time": on_time,
        "resolved_late": late,
        "in_progress": within + overdue + paused,
        "in_progress_within_deadline": within,
        "in_progress_overdue": overdue,
        "in_progress_paused": paused,
        "refused": t["refused"],
        "withdrawn": t["withdrawn"],
        "resolved_unclassified": t["resolved.unclassified"],
        "on_time_rate": on_time_rate(early, on_time, late),
    }


def _added(tallies: list[Tally]) -> Tally:
    total: Tally = Counter()
    for tally in tallies:
        total.update(tally)
    return total


def table(tallies: dict[Group, Tally], names: dict[str, str], extra: dict[str, list[str]]) -> dict[str, Any]:
    """Levels (provincial, district, commune; "unknown" when it has figures), each with its rows in
    order of code and a subtotal, and the grand total. `names`: code -> row name; `extra`: level ->
    codes shown even without figures (the catalogue's fields or agencies of the scope)."""
    levels = []
    order = 0
    for level in (*LEVELS, UNKNOWN_LEVEL):
        codes = {code for (lv, code) in tallies if lv == level} | set(extra.get(level, []))
        if not codes and level == UNKNOWN_LEVEL:
            continue
        rows = []
        for code in sorted(codes, key=lambda c: (c == "other", vietnamese_order(names[c] if c in names else c), c)):
            order += 1
            rows.append(
                {
                    "order": order,
                    "code": code,
                    "name": names.get(code, code),
                    **columns(tallies.get((level, code), Counter())),
                }
            )
        name_vi, name_en = LEVEL_NAMES[level]
        levels.append(
            {
                "admin_level": level,
                "name_vi": name_vi,
                "name_en": name_en,
                "rows": rows,
                "subtotal": columns(_added([t for (lv, _), t in tallies.items() if lv == level])),
            }
        )
    return {"levels": levels, "total": columns(_added(list(tallies.values())))}
