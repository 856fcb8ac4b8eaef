"""A brute-force recomputation of the reports from dossier histories, written from DOMAIN.md and
CONTRACT.md alone (imported by the test_reporting_random_histories and dashboard tests; no tests here).

Nothing of reporting-service is imported: each history is walked event by event, in the order the
dossier lived it, and every figure is counted from scratch for every question. The reading of
DOMAIN.md it encodes, where the text leaves a choice:
- a dossier's administrative level is its procedure's; `agency_code` covers the agency and every agency
  below it (parent_code);
- received counts under the receiving agency; every other figure under the agency handling the dossier
  at that moment (after the transfers before it);
- the due time in effect is the last one set by acceptance or the end of a pause; `payment_completed`
  carries none, so it moves the due time by the working time paused (the shared calendar); an apology's
  new appointment is not a due time: a result after the deadline is late, with or without a letter;
- an apology letter is in time when issued at or before the deadline in effect at that moment;
- "at `from`" is the first instant of `from`, "at `to`" the first instant after `to` (province time);
  an event counts as happened by then when its business time is before that instant;
- percentages are rounded half up to two decimals; a share of an empty total is 0.0 (CONTRACT.md's
  example), a rate over an empty base (the on-time rate, the online indicators) is None.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from motcua_shared import events as ev
from motcua_shared.calendar import WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNELS = ("direct", "online", "postal")
TIMELINESS = ("early", "on_time", "late")
RATINGS = ("very_satisfied", "satisfied", "unsatisfied")
PAUSE_START = {"dossier.supplement_requested", "dossier.payment_requested", "dossier.suspended"}
PAUSE_END = {"dossier.supplement_received", "dossier.payment_completed", "dossier.resumed"}


def day_of(at: datetime) -> date:
    return at.astimezone(VN).date()


def first_instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VN)


def percent(count: int, total: int) -> float:
    """Half up, two decimals, in integers (no float rounding can creep in)."""
    if total == 0:
        return 0.0
    hundredths = (count * 10000 * 2 + total) // (2 * total)
    return hundredths / 100


def rate(count: int, base: int) -> float | None:
    return percent(count, base) if base else None


def share(count: int, total: int) -> dict[str, Any]:
    return {"count": count, "percent": percent(count, total)}


@dataclass
class State:
    """A dossier after some of its events."""

    status: str = "none"
    agency: str = ""
    due: datetime | None = None
    paused_since: datetime | None = None


@dataclass
class Dossier:
    history: list[ev.DossierEvent]
    procedure: str
    channel: str
    received_by: str
    received: date
    outcome: str | None = None  # resolved | refused | withdrawn
    closed: date | None = None  # the result date, or the day of refusal or withdrawal
    closed_by: str = ""  # agency handling it then
    timeliness: str | None = None
    postal: bool = False
    apology_in_time: bool = False
    rating: tuple[str, date, str] | None = None  # rating, day, agency
    paid_online: bool = False
    counter: str = ""  # the agency whose counter received it (issue 18 item 6: may differ from received_by)


def walk(history: list[ev.DossierEvent], calendar: WorkingCalendar, before: datetime | None = None) -> State:
    """The dossier's state after its events (those before `before`, if given), in the order lived."""
    state = State()
    for event in history:
        if before is not None and event.occurred_at >= before:
            break
        step(state, event, calendar)
    return state


def step(state: State, event: ev.DossierEvent, calendar: WorkingCalendar) -> None:
    data: Any = event.data
    kind = event.event_type
    if kind == "dossier.submitted":
        state.status, state.agency = "open", data.agency_code
    elif kind == "dossier.accepted":
        state.due = data.due_at
    elif kind == "dossier.transferred":
        state.agency = data.to_agency_code
    elif kind in PAUSE_START:
        state.paused_since = event.occurred_at
    elif kind in PAUSE_END:
        if kind == "dossier.payment_completed":
            assert state.due is not None and state.paused_since is not None
            state.due = calendar.moved_due_at(state.due, state.paused_since, event.occurred_at)
        else:
            state.due = data.due_at
        state.paused_since = None
    elif kind in ("dossier.result_ready", "dossier.refused", "dossier.withdrawn"):
        state.status = "closed"
        state.paused_since = None


def dossier_of(history: list[ev.DossierEvent], calendar: WorkingCalendar) -> Dossier:
    submitted: Any = history[0].data
    assert history[0].event_type == "dossier.submitted"
    dossier = Dossier(
        history,
        submitted.procedure_code,
        submitted.channel.value,
        submitted.agency_code,
        day_of(history[0].occurred_at),
    )
    dossier.counter = getattr(submitted, "receiving_agency_code", None) or submitted.agency_code
    state = State()
    for event in history:
        data: Any = event.data
        kind = event.event_type
        if kind == "dossier.apology_issued" and state.due is not None and event.occurred_at <= state.due:
            dossier.apology_in_time = True
        elif kind == "dossier.result_ready":
            result_at = data.finished_at or event.occurred_at
            dossier.outcome, dossier.closed, dossier.closed_by = "resolved", day_of(result_at), state.agency
            assert state.due is not None
            due_day = day_of(state.due)
            dossier.timeliness = (
                "early" if dossier.closed < due_day else "on_time" if dossier.closed == due_day else "late"
            )
        elif kind in ("dossier.refused", "dossier.withdrawn"):
            dossier.outcome = kind.removeprefix("dossier.")
            dossier.closed, dossier.closed_by = day_of(event.occurred_at), state.agency
        elif kind == "dossier.returned":
            dossier.postal = data.delivery.value == "postal"
        elif kind == "dossier.rated":
            dossier.rating = (data.rating.value, day_of(event.occurred_at), state.agency)
        elif kind == "dossier.payment_completed" and data.method.value == "online":
            dossier.paid_online = True
        step(state, event, calendar)
    return dossier


@dataclass
class Oracle:
    """Answers the reports' questions by counting every dossier again."""

    catalogue: dict[str, Any]
    histories: list[list[ev.DossierEvent]]
    calendar: WorkingCalendar
    dossiers: list[Dossier] = field(init=False)

    def __post_init__(self) -> None:
        self.dossiers = [dossier_of(h, self.calendar) for h in self.histories]
        self.agencies = {a["agency_code"]: a for a in self.catalogue["agencies"]}
        self.procedures = {p["procedure_code"]: p for p in self.catalogue["procedures"]}

    # --- scope ---------------------------------------------------------------------------------

    def covered(self, agency_code: str | None) -> set[str] | None:
        if agency_code is None:
            return None
        found = {agency_code}
        while True:
            more = {a for a, doc in self.agencies.items() if doc.get("parent_code") in found} - found
            if not more:
                return found
            found |= more

    def counts(self, agency: str, procedure: str, agencies: set[str] | None, level: str | None) -> bool:
        if agencies is not None and agency not in agencies:
            return False
        return level is None or self.procedures[procedure]["admin_level"] == level

    # --- the tallies ---------------------------------------------------------------------------

    def tallies(
        self, start: date, end: date, agency_code: str | None, level: str | None, row: Any = None
    ) -> dict[Any, Counter[str]]:
        """Per agency (or per `row(agency, procedure)`): every count of the summary for the period and scope."""
        scope = self.covered(agency_code)
        by_agency: dict[Any, Counter[str]] = {}

        def add(agency: str, procedure: str, name: str) -> None:
            if self.counts(agency, procedure, scope, level):
                by_agency.setdefault(row(agency, procedure) if row else agency, Counter())[name] += 1

        at_start, at_end = first_instant(start), first_instant(end + timedelta(days=1))
        for d in self.dossiers:
            if start <= d.received <= end:
                add(d.received_by, d.procedure, f"received.{d.channel}")
            if d.closed is not None and start <= d.closed <= end:
                if d.outcome == "resolved":
                    add(d.closed_by, d.procedure, f"resolved.{d.timeliness}")
                    if d.postal:
                        add(d.closed_by, d.procedure, "returned_by_post")
                    if d.timeliness == "late" and not d.apology_in_time:
                        add(d.closed_by, d.procedure, "late_without_apology")
                else:
                    add(d.closed_by, d.procedure, str(d.outcome))
            if d.rating is not None and start <= d.rating[1] <= end:
                add(d.rating[2], d.procedure, f"rated.{d.rating[0]}")
            if d.received < start and (d.closed is None or d.closed >= start):
                add(walk(d.history, self.calendar, at_start).agency, d.procedure, "carried_over")
            if d.received <= end and (d.closed is None or d.closed > end):
                state = walk(d.history, self.calendar, at_end)
                if state.paused_since is not None:
                    add(state.agency, d.procedure, "in_progress.paused")
                elif state.due is not None and day_of(state.due) < end:
                    add(state.agency, d.procedure, "in_progress.overdue")
                else:
                    add(state.agency, d.procedure, "in_progress.within_deadline")
            # A result announced not collected by the end of `to`, and not returned by then (issue 18).
            happened = [e.event_type for e in d.history if e.occurred_at < at_end]
            if (
                d.outcome == "resolved"
                and "dossier.result_uncollected" in happened
                and "dossier.returned" not in happened
            ):
                add(walk(d.history, self.calendar, at_end).agency, d.procedure, "uncollected")
        return by_agency

    @staticmethod
    def columns(t: Counter[str]) -> dict[str, Any]:
        received = sum(t[f"received.{c}"] for c in CHANNELS)
        resolved = sum(t[f"resolved.{x}"] for x in TIMELINESS)
        rated = sum(t[f"rated.{r}"] for r in RATINGS)
        within, overdue, paused = (t[f"in_progress.{s}"] for s in ("within_deadline", "overdue", "paused"))
        early, on_time, late = (t[f"resolved.{x}"] for x in TIMELINESS)
        return {
            "received": {"total": received, "by_channel": {c: share(t[f"received.{c}"], received) for c in CHANNELS}},
            "carried_over": t["carried_over"],
            "resolved": {
                "total": resolved,
                **{x: share(t[f"resolved.{x}"], resolved) for x in TIMELINESS},
                "returned_by_post": share(t["returned_by_post"], resolved),
                "unclassified": 0,
                "late_with_apology": share(late - t["late_without_apology"], resolved),
                "late_without_apology": share(t["late_without_apology"], resolved),
            },
            "in_progress": {
                "total": within + overdue + paused,
                "within_deadline": within,
                "overdue": overdue,
                "paused": paused,
            },
            "refused": t["refused"],
            "withdrawn": t["withdrawn"],
            "on_time_rate": rate(early + on_time, early + on_time + late),
            "late_without_apology": t["late_without_apology"],
            "uncollected": t["uncollected"],
            "satisfaction": {"total": rated, **{r: share(t[f"rated.{r}"], rated) for r in RATINGS}},
        }

    def name(self, code: str) -> str:
        return self.agencies[code]["name"] if code in self.agencies else code

    # --- the API's answers ---------------------------------------------------------------------

    def summary(
        self, start: date, end: date, agency_code: str | None = None, level: str | None = None
    ) -> dict[str, Any]:
        by_agency = self.tallies(start, end, agency_code, level)
        total: Counter[str] = Counter()
        for tally in by_agency.values():
            total.update(tally)
        busiest = [
            {"agency_code": code, "agency_name": self.name(code), "received": sum(t[f"received.{c}"] for c in CHANNELS)}
            for code, t in by_agency.items()
        ]
        busiest = sorted((r for r in busiest if r["received"]), key=lambda r: (-r["received"], r["agency_code"]))
        return {
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            **self.columns(total),
            "by_agency": busiest,
        }

    def agency_rows(
        self, start: date, end: date, agency_code: str | None = None, level: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """Every agency with any figure, by code (agencies without figures have all-zero rows)."""
        return {
            code: {
                "agency_code": code,
                "agency_name": self.name(code),
                **self.columns(t),
                "received_at_counter": self.at_counter(code, t, start, end, agency_code, level),
            }
            for code, t in self.tallies(start, end, agency_code, level).items()
        }

    def at_counter(
        self, code: str, t: Counter[str], start: date, end: date, agency_code: str | None, level: str | None
    ) -> dict[str, int]:
        """The row counted by receiving counter: its own direct and postal dossiers (`t`, the row's
        tallies) less those received at another agency's counter, plus those its counter received for
        other agencies (whatever the scope: the row is in it)."""
        scope = self.covered(agency_code)
        at_desk = [d for d in self.dossiers if start <= d.received <= end and d.channel != "online"]
        for_others = sum(1 for d in at_desk if d.counter == code and d.received_by != code)
        elsewhere = sum(
            1
            for d in at_desk
            if d.received_by == code and d.counter != code and self.counts(d.received_by, d.procedure, scope, level)
        )
        own = t["received.direct"] + t["received.postal"]
        return {"total": own - elsewhere + for_others, "for_other_agencies": for_others, "at_other_counters": elsewhere}

    def zero_row(self, code: str) -> dict[str, Any]:
        return {
            "agency_code": code,
            "agency_name": self.name(code),
            **self.columns(Counter()),
            "received_at_counter": {"total": 0, "for_other_agencies": 0, "at_other_counters": 0},
        }

    def online(
        self, start: date, end: date, agency_code: str | None = None, level: str | None = None
    ) -> dict[str, Any]:
        scope = self.covered(agency_code)
        procedures = [
            p
            for p in self.catalogue["procedures"]
            if (scope is None or p["agency_code"] in scope) and (level is None or p["admin_level"] == level)
        ]

        def rates(ps: list[dict[str, Any]]) -> dict[str, Any]:
            l4 = sum(1 for p in ps if p["online_level"] == 4)
            l3 = sum(1 for p in ps if p["online_level"] == 3)
            return {
                "procedures": len(ps),
                "level_4": l4,
                "level_3": l3,
                "online_rate": rate(l3 + l4, len(ps)),
                "level_4_rate": rate(l4, len(ps)),
                "level_3_rate": rate(l3, len(ps)),
            }

        received = [
            d
            for d in self.dossiers
            if start <= d.received <= end and self.counts(d.received_by, d.procedure, scope, level)
        ]
        online_codes = {p["procedure_code"] for p in self.catalogue["procedures"] if p["online_level"] >= 3}
        fee_codes = {p["procedure_code"] for p in self.catalogue["procedures"] if (p.get("fee") or 0) > 0}
        services = [p for p in procedures if p["online_level"] >= 3]
        arising = {d.procedure for d in received if d.channel == "online"}
        with_dossiers = sum(1 for p in services if p["procedure_code"] in arising)
        of_online = [d for d in received if d.procedure in online_codes]
        online_count = sum(1 for d in of_online if d.channel == "online")
        of_fee = [d for d in received if d.procedure in fee_codes]
        paid = sum(1 for d in of_fee if d.paid_online)
        levels = sorted({p["admin_level"] for p in procedures})
        owners = sorted({p["agency_code"] for p in procedures})
        return {
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "services": rates(procedures),
            "by_admin_level": [
                {"admin_level": lv, **rates([p for p in procedures if p["admin_level"] == lv])} for lv in levels
            ],
            "by_agency": [
                {
                    "agency_code": a,
                    "agency_name": self.name(a),
                    **rates([p for p in procedures if p["agency_code"] == a]),
                }
                for a in owners
            ],
            "services_with_online_dossiers": {
                "count": with_dossiers,
                "of": len(services),
                "percent": rate(with_dossiers, len(services)),
            },
            "online_dossiers": {
                "count": online_count,
                "of": len(of_online),
                "percent": rate(online_count, len(of_online)),
            },
            "online_payments": {"count": paid, "of": len(of_fee), "percent": rate(paid, len(of_fee))},
        }

    def trend(self, start: date, end: date, agency_code: str | None = None, level: str | None = None) -> dict[str, Any]:
        scope = self.covered(agency_code)
        months: dict[str, Counter[str]] = {}
        day = start.replace(day=1)
        while day <= end:
            months[day.strftime("%Y-%m")] = Counter()
            day = (day + timedelta(days=32)).replace(day=1)
        for d in self.dossiers:
            if start <= d.received <= end and self.counts(d.received_by, d.procedure, scope, level):
                months[d.received.strftime("%Y-%m")]["received"] += 1
            if (
                d.outcome == "resolved"
                and d.closed is not None
                and start <= d.closed <= end
                and self.counts(d.closed_by, d.procedure, scope, level)
            ):
                month = months[d.closed.strftime("%Y-%m")]
                month["resolved"] += 1
                month[str(d.timeliness)] += 1
        return {
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "data": [
                {"month": m, **{k: c[k] for k in ("received", "resolved", "early", "on_time", "late")}}
                for m, c in months.items()
            ],
        }

    # --- the resolution table (form of Circular 01/2020/TT-VPCP), as docs/reporting.md states it ---
    # Rows by name in Vietnamese dictionary order: letters first (đ after d; ă, â after a), tones after.

    def field_of(self, procedure: str) -> tuple[str, str]:
        found = self.procedures[procedure].get("field")
        return (found["code"], found["name"]) if found else ("other", "Khác")

    @staticmethod
    def resolution_cells(t: Counter[str]) -> dict[str, Any]:
        online, direct_or_postal = t["received.online"], t["received.direct"] + t["received.postal"]
        early, on_time, late = (t[f"resolved.{x}"] for x in TIMELINESS)
        within, overdue, paused = (t[f"in_progress.{s}"] for s in ("within_deadline", "overdue", "paused"))
        return {
            "to_resolve": online + direct_or_postal + t["carried_over"],
            "received_online": online,
            "received_direct_or_postal": direct_or_postal,
            "carried_over": t["carried_over"],
            "resolved": early + on_time + late,
            "resolved_early": early,
            "resolved_on_time": on_time,
            "resolved_late": late,
            "in_progress": within + overdue + paused,
            "in_progress_within_deadline": within,
            "in_progress_overdue": overdue,
            "in_progress_paused": paused,
            "refused": t["refused"],
            "withdrawn": t["withdrawn"],
            "resolved_unclassified": 0,
            "on_time_rate": rate(early + on_time, early + on_time + late),
        }

    def resolution(
        self, start: date, end: date, agency_code: str | None = None, level: str | None = None, by: str = "field"
    ) -> dict[str, Any]:
        """Rows per (level, field) or (level, agency); a row for every field of the scope's procedures (or
        agency of the scope) even without figures; rows by name, "other" last; subtotals; total."""
        scope = self.covered(agency_code)

        def row(agency: str, procedure: str) -> tuple[str, str]:
            lv = self.procedures[procedure]["admin_level"]
            return lv, agency if by == "agency" else self.field_of(procedure)[0]

        tallies = self.tallies(start, end, agency_code, level, row)
        names: dict[str, str] = {}
        shown: set[tuple[str, str]] = set(tallies)
        if by == "agency":
            names = {code: a["name"] for code, a in self.agencies.items()}
            shown |= {
                (a["admin_level"], code)
                for code, a in self.agencies.items()
                if (scope is None or code in scope) and level in (None, a["admin_level"])
            }
        else:
            for p in self.catalogue["procedures"]:
                code, name = self.field_of(p["procedure_code"])
                names.setdefault(code, name)
                if (scope is None or p["agency_code"] in scope) and level in (None, p["admin_level"]):
                    shown.add((p["admin_level"], code))
        titles = {
            "provincial": ("Cấp tỉnh", "Provincial level"),
            "district": ("Cấp huyện", "District level"),
            "commune": ("Cấp xã", "Commune level"),
        }
        levels, order = [], 0
        for lv in ("provincial", "district", "commune"):
            if level not in (None, lv):
                continue
            rows = []
            for code in sorted(
                {c for g, c in shown if g == lv}, key=lambda c: (c == "other", vi_order(names.get(c, c)), c)
            ):
                order += 1
                rows.append(
                    {
                        "order": order,
                        "code": code,
                        "name": names.get(code, code),
                        **self.resolution_cells(tallies.get((lv, code), Counter())),
                    }
                )
            subtotal: Counter[str] = Counter()
            for (g, _), t in tallies.items():
                if g == lv:
                    subtotal.update(t)
            levels.append(
                {
                    "admin_level": lv,
                    "name_vi": titles[lv][0],
                    "name_en": titles[lv][1],
                    "rows": rows,
                    "subtotal": self.resolution_cells(subtotal),
                }
            )
        total: Counter[str] = Counter()
        for t in tallies.values():
            total.update(t)
        return {"levels": levels, "total": self.resolution_cells(total)}


VI_LETTERS = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
KEPT_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: they make letters, not tones


def vi_order(name: str) -> tuple[list[int], str]:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", name.lower())
    letters = unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c) or c in KEPT_MARKS)
    )
    return [VI_LETTERS.find(c) if c in VI_LETTERS else ord(c) - 2_000_000 for c in letters], name
