"""The reporting view of one dossier, folded from its events.

A dossier's events may arrive in any order (replays, imports, late results), so the view is not
built step by step: the document keeps the dossier's *facts* (one small record per applied event,
without personal data) and the view is derived from all of them, sorted by business time. The same
set of events always gives the same view, whatever order they were delivered in.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from motcua_shared import events as ev
from motcua_shared import lifecycle
from motcua_shared.calendar import WorkingCalendar, load_calendar
from motcua_shared.lifecycle import DUE_CARRIERS, PAUSE_ENDS, DossierStatus, Progress

from .timeliness import Timeliness, classify, local_date

Fact = dict[str, Any]

# For events at the same instant: the lifecycle order, so that e.g. submitted sorts before accepted.
_RANK = {
    "submitted": 0,
    "accepted": 1,
    "refused": 2,
    "transferred": 3,
    "supplement_requested": 4,
    "supplement_received": 5,
    "payment_requested": 6,
    "payment_completed": 7,
    "suspended": 8,
    "resumed": 9,
    "apology_issued": 10,
    "overdue": 11,
    "result_ready": 12,
    "returned": 13,
    "withdrawn": 14,
    "rated": 15,
}
# Which fact starts and which ends each kind of pause: the shared lifecycle's, by fact type.
PAUSE_STARTS = {kind.removeprefix("dossier."): pause for kind, pause in lifecycle.PAUSE_STARTS.items()}
PAUSE_ENDS_BY_FACT = {kind.removeprefix("dossier."): pause for kind, pause in PAUSE_ENDS.items()}
OPEN = "9999-12-31"  # closed_date of a dossier still open: sorts after every real date


def iso(instant: datetime) -> str:
    """A fixed-width UTC ISO string: sorts like the instant, keeps microseconds exactly."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def fact_of(event: ev.DossierEvent) -> Fact:
    """What reporting keeps of an event: its id, type, business time and the non-personal data it needs.
    (The applicant's name, ID number, phone, e-mail and address are never stored.)"""
    kind = event.event_type.removeprefix("dossier.")
    fact: Fact = {"id": str(event.event_id), "type": kind, "at": iso(event.occurred_at)}
    data = event.data
    if isinstance(data, ev.SubmittedData):
        fact.update(
            code=data.dossier_code, procedure=data.procedure_code, agency=data.agency_code, channel=data.channel.value
        )
        if data.receiving_agency_code:  # received at another agency's counter (issue 18 item 6)
            fact["receiving_agency"] = data.receiving_agency_code
        reported = [d.digitised for d in data.documents or [] if d.digitised is not None]
        if reported:  # digitised when every document the submission reports on was (Decision 766)
            fact["digitised"] = all(reported)
    elif isinstance(data, ev.AcceptedData | ev.SupplementReceivedData | ev.ResumedData | ev.OverdueData):
        fact["due_at"] = iso(data.due_at)
    elif isinstance(data, ev.PaymentCompletedData):
        fact.update(amount=float(data.amount), method=data.method.value)
    elif isinstance(data, ev.PaymentRequestedData):
        fact["amount"] = float(data.amount)
    elif isinstance(data, ev.TransferredData):
        fact["to_agency"] = data.to_agency_code
    elif isinstance(data, ev.ApologyIssuedData):
        fact["new_due_at"] = iso(data.new_due_at)
    elif isinstance(data, ev.ResultReadyData):
        if data.finished_at is not None:
            fact["finished_at"] = iso(data.finished_at)
        if data.electronic_result is not None:
            fact["electronic_result"] = data.electronic_result
    elif isinstance(data, ev.ReturnedData):
        fact["delivery"] = data.delivery.value
    elif isinstance(data, ev.RatedData):
        fact["rating"] = data.rating.value
    return fact


def ordered(facts: list[Fact]) -> list[Fact]:
    """Facts in business order: time, then lifecycle rank, then id (a total, delivery-independent order)."""
    return sorted(facts, key=lambda f: (f["at"], _RANK.get(f["type"], 99), f["id"]))


@dataclass(frozen=True)
class Pause:
    kind: str
    start: str
    end: str | None


@dataclass
class DossierView:
    """Everything the reports need about one dossier, derived from its facts."""

    facts: list[Fact]
    code: str | None = None
    procedure: str | None = None
    agency: str | None = None  # where it was received
    channel: str | None = None
    received_at: str | None = None
    accepted_at: str | None = None
    original_due_at: str | None = None
    due_at: str | None = None  # the due time now (moved by pauses)
    result_at: str | None = None
    result_fact_at: str | None = None
    timeliness: Timeliness | None = None
    returned_at: str | None = None
    delivery: str | None = None
    refused_at: str | None = None
    withdrawn_at: str | None = None
    outcome: str | None = None  # resolved | refused | withdrawn | None (open)
    closed_at: str | None = None
    rating: str | None = None
    rated_at: str | None = None
    paid_online: bool = False
    receiving_agency: str | None = None  # the counter that received it, when not the competent agency's
    digitised: bool | None = None  # None: the submission did not say (Decision 766's digitisation)
    electronic_result: bool | None = None  # None: the result event did not say
    pauses: list[Pause] = field(default_factory=list)
    apologies: list[str] = field(default_factory=list)  # when each apology letter was issued
    apology_in_time: bool = False
    due_changes: list[tuple[str, str]] = field(default_factory=list)  # (when, due time from then on)
    status: str = "unknown"
    anomalies: list[str] = field(default_factory=list)

    # --- point-in-time questions -----------------------------------------------------------------

    def agency_at(self, when: str) -> str | None:
        """The agency handling the dossier at `when` (the receiving one, then each transfer in turn)."""
        agency = self.agency
        for fact in self.facts:
            if fact["type"] == "transferred" and fact["at"] <= when:
                agency = fact["to_agency"]
        return agency

    def due_as_of(self, when: str) -> str | None:
        """The due time in effect at `when`: the last one set (acceptance, end of a pause) by then."""
        due = None
        for at, value in self.due_changes:
            if at <= when:
                due = value
        return due if due is not None else self.original_due_at

    def paused_at(self, when: str) -> bool:
        return any(p.start <= when and (p.end is None or when < p.end) for p in self.pauses)

    # --- dates as the reports count them ---------------------------------------------------------

    @property
    def received_date(self) -> date | None:
        return local_date(instant(self.received_at)) if self.received_at else None

    @property
    def closed_date(self) -> str:
        return local_date(instant(self.closed_at)).isoformat() if self.closed_at else OPEN

    @property
    def late_without_apology(self) -> bool:
        return self.timeliness is Timeliness.LATE and not self.apology_in_time


def _first(facts: list[Fact], kind: str, anomalies: list[str]) -> Fact | None:
    found = [f for f in facts if f["type"] == kind]
    if len(found) > 1 and kind in ("submitted", "result_ready", "rated", "returned"):
        anomalies.append(f"duplicate_{kind}")
    return found[0] if found else None


def derive(facts: list[Fact]) -> DossierView:
    """The dossier's view from all its facts, in any order."""
    facts = ordered(facts)
    view = DossierView(facts=facts)
    anomalies = view.anomalies
    submitted = _first(facts, "submitted", anomalies)
    accepted = _first(facts, "accepted", anomalies)
    if submitted is not None:
        view.code, view.procedure = submitted["code"], submitted["procedure"]
        view.digitised = submitted.get("digitised")
        view.agency, view.channel = submitted["agency"], submitted["channel"]
        view.receiving_agency = submitted.get("receiving_agency")
    else:
        anomalies.append("missing_submitted")
    # Received when submitted (the centre had it); an imported history may start at acceptance.
    first_in = submitted or accepted
    view.received_at = first_in["at"] if first_in else None
    if accepted is not None:
        view.accepted_at, view.original_due_at = accepted["at"], accepted["due_at"]
    view.due_changes = _due_changes(facts)
    view.due_at = view.due_changes[-1][1] if view.due_changes else None

    _derive_pauses(view)
    _derive_outcome(view)
    _derive_status(view)

    view.paid_online = any(f["type"] == "payment_completed" and f.get("method") == "online" for f in facts)
    rated = _first(facts, "rated", anomalies)
    if rated is not None:  # each dossier is rated once: the first rating counts
        view.rating, view.rated_at = rated["rating"], rated["at"]
        if view.outcome != "resolved":
            anomalies.append("rated_without_result")
    view.apologies = [f["at"] for f in facts if f["type"] == "apology_issued"]
    # An apology counts when issued before the deadline in effect at that moment (not the new appointment).
    view.apology_in_time = any((due := view.due_as_of(at)) is not None and at <= due for at in view.apologies)
    return view


def _due_changes(facts: list[Fact]) -> list[tuple[str, str]]:
    """Each change of the due time, in business order, as the shared lifecycle moves it: acceptance and
    the ends of the supplement and suspension pauses carry the new due time; `payment_completed`
    carries none, so the due time moves by the working time paused, on the shared working calendar.
    An apology's new appointment is not a due time here (its fact keeps it as `new_due_at`): a result
    after the deadline is late, with or without a letter (docs/reporting.md)."""
    changes: list[tuple[str, str]] = []
    progress = Progress()
    for fact in facts:
        event_type, at = f"dossier.{fact['type']}", instant(fact["at"])
        carried = instant(fact["due_at"]) if event_type in DUE_CARRIERS and "due_at" in fact else None
        due = lifecycle.due_after(progress, event_type, at, carried, working_calendar())
        progress = Progress(due_at=due, paused_since=lifecycle.paused_since_after(progress, event_type, at))
        if (event_type in DUE_CARRIERS or event_type in PAUSE_ENDS) and due is not None:
            changes.append((fact["at"], iso(due)))
    return changes


@cache
def working_calendar() -> WorkingCalendar:
    return load_calendar()


def _derive_pauses(view: DossierView) -> None:
    open_pauses: dict[str, str] = {}
    for fact in view.facts:
        if fact["type"] in PAUSE_STARTS:
            open_pauses.setdefault(PAUSE_STARTS[fact["type"]], fact["at"])
        elif fact["type"] in PAUSE_ENDS_BY_FACT and PAUSE_ENDS_BY_FACT[fact["type"]] in open_pauses:
            kind = PAUSE_ENDS_BY_FACT[fact["type"]]
            view.pauses.append(Pause(kind, open_pauses.pop(kind), fact["at"]))
    view.pauses.extend(Pause(kind, start, None) for kind, start in open_pauses.items())


def _derive_outcome(view: DossierView) -> None:
    facts, anomalies = view.facts, view.anomalies
    result = _first(facts, "result_ready", anomalies)
    refused = _first(facts, "refused", [])
    withdrawn = _first(facts, "withdrawn", [])
    returned = _first(facts, "returned", anomalies)
    if returned is not None:
        view.returned_at, view.delivery = returned["at"], returned["delivery"]
    view.refused_at = refused["at"] if refused else None
    view.withdrawn_at = withdrawn["at"] if withdrawn else None
    # The first closing event decides the outcome; a later one is an anomaly, not a second outcome.
    closings = [f for f in facts if f["type"] in ("result_ready", "refused", "withdrawn")]
    if not closings:
        if returned is not None:
            anomalies.append("returned_without_result")
        return
    first = closings[0]
    if len({f["type"] for f in closings}) > 1:
        anomalies.append("conflicting_outcomes")
    if first["type"] == "result_ready":
        assert result is not None
        view.outcome = "resolved"
        view.result_fact_at = result["at"]
        view.result_at = result.get("finished_at") or result["at"]
        view.electronic_result = result.get("electronic_result")
        view.closed_at = view.result_at
        due = view.due_as_of(result["at"])
        if due is None:
            anomalies.append("result_without_due")
        else:
            view.timeliness = classify(instant(view.result_at), instant(due))
    else:
        view.outcome = first["type"]
        view.closed_at = first["at"]


def _derive_status(view: DossierView) -> None:
    if view.outcome in ("refused", "withdrawn"):
        view.status = view.outcome
    elif view.returned_at is not None and view.outcome == "resolved":
        view.status = "returned"
    elif view.outcome == "resolved":
        view.status = "result_ready"
    else:  # open: the status the shared lifecycle gives the facts in business order
        status: DossierStatus | None = None
        for fact in view.facts:
            status = lifecycle.status_told(status, f"dossier.{fact['type']}")
        view.status = status.value if status is not None else "unknown"
