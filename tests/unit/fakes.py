"""In-memory stand-ins for the ports of the services' use cases (each service's service_layer/ports.py),
so that tests/unit runs a use case in milliseconds: no broker, no store. Each keeps only what a test
looks at (the events published, the messages recorded) and answers as the Mongo store would."""

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from motcua_intake.domain.codes import dossier_code_for
from motcua_intake.domain.view import DossierView
from motcua_notification.domain.context import DossierFacts
from motcua_notification.domain.delivery import Delivery
from motcua_notification.domain.templates import Template, default_templates
from motcua_processing.adapters.dossier_store import to_document
from motcua_processing.domain.dossier import Dossier, fold
from motcua_processing.service_layer.ports import Folded
from motcua_reporting.domain.contributions import counts
from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, Procedure, Succession
from motcua_shared.idempotency import Claim, record_id


class Caught:
    """Freshness: the view has always folded everything (lag 0)."""

    async def wait_folded(self, topic: str, *, key: str | None, within: float) -> int | None:
        return 0


class Catalogue:
    """Agencies and procedures as given; no supersession (each agency answers for itself)."""

    def __init__(self, agencies: Sequence[Agency] = (), procedures: Sequence[Procedure] = ()) -> None:
        self._agencies = {a.code: a for a in agencies}
        self._procedures = {p.code: p for p in procedures}

    async def ensure_indexes(self) -> None:
        pass

    async def apply(self, event: ev.Envelope) -> None:
        pass

    async def agency(self, code: str) -> Agency | None:
        return self._agencies.get(code)

    async def agencies(self) -> list[Agency]:
        return list(self._agencies.values())

    async def procedure(self, code: str) -> Procedure | None:
        return self._procedures.get(code)

    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]:
        return [
            p
            for p in self._procedures.values()
            if (agency_code is None or p.agency_code == agency_code) and (include_retired or not p.retired)
        ]

    async def successions(self) -> dict[str, Succession]:
        return {}

    async def in_force(self, on: date | None = None) -> dict[str, Succession]:
        return {}

    async def responsible(self, code: str, on: date | None = None) -> str:
        return code

    async def handled_by(self, code: str, on: date | None = None) -> list[str]:
        return [code]


# --- intake ----------------------------------------------------------------------------------------


class IntakePublisher:
    """Records what was published, as (topic, key, events)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, list[ev.Envelope]]] = []

    async def publish(self, topic: str, key: str, events: Sequence[ev.Envelope]) -> None:
        self.published.append((topic, key, list(events)))

    @property
    def events(self) -> list[ev.Envelope]:
        return [event for _, _, events in self.published for event in events]


class IntakeDossiers:
    """Daily counters, and the views a test puts in (`views`, by code)."""

    def __init__(self, views: Sequence[DossierView] = ()) -> None:
        self.views = {v.code: v for v in views}
        self._sequences: dict[str, int] = {}
        self._ratings: set[str] = set()
        self.folded: list[ev.DossierEvent] = []

    async def ensure_indexes(self) -> None:
        pass

    async def reserve_code(self, counter: str, dossier_id: str) -> str:
        self._sequences[counter] = self._sequences.get(counter, 0) + 1
        return dossier_code_for(counter, self._sequences[counter])

    def give_back_code(self, code: str) -> None:
        pass

    async def known(self, dossier_id: str) -> bool:
        return any(event.dossier_id == dossier_id for event in self.folded)

    async def apply(self, event: ev.DossierEvent, *, phone_hash: str | None = None) -> None:
        self.folded.append(event)

    async def fold_batch(
        self, events: Sequence[tuple[ev.DossierEvent, str | None]]
    ) -> list[tuple[ev.DossierEvent, Exception]]:
        self.folded += [event for event, _ in events]
        return []

    async def by_code(self, code: str) -> DossierView | None:
        return self.views.get(code)

    async def claim_rating(self, dossier_id: str) -> bool:
        if dossier_id in self._ratings:
            return False
        self._ratings.add(dossier_id)
        return True


class Requests:
    """Idempotency records: a key already answered gets its first answer back."""

    def __init__(self) -> None:
        self._plans: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        pass

    async def claim(
        self,
        subject: str,
        key: str,
        request_fingerprint: str,
        *,
        plan: dict[str, Any] | None = None,
        published: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> Claim:
        rid = record_id(subject, key)
        if rid not in self._plans and rid not in self._answers:
            if plan is not None:
                self._plans[rid] = plan
            return Claim(record_id=rid, plan=plan, new=True)
        answer = self._answers.get(rid)
        if answer is None and rid in self._plans and published is not None:
            answer = await published(self._plans[rid])
        return Claim(record_id=rid, plan=self._plans.get(rid), response=answer)

    async def save_plan(self, rid: str, plan: dict[str, Any]) -> None:
        self._plans[rid] = plan

    async def release(self, rid: str) -> None:
        pass

    async def complete(self, rid: str, response: dict[str, Any]) -> None:
        self._answers[rid] = response

    async def forget(self, rid: str) -> None:
        self._plans.pop(rid, None)


# --- processing ------------------------------------------------------------------------------------


class ProcessingPublisher:
    def __init__(self) -> None:
        self.events: list[ev.DossierEvent] = []

    async def publish(self, event: ev.DossierEvent) -> None:
        self.events.append(event)


def _matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, dict):
        tests = {
            "$in": lambda v, c: v in c,
            "$lte": lambda v, c: v is not None and v <= c,
            "$lt": lambda v, c: v is not None and v < c,
            "$gte": lambda v, c: v is not None and v >= c,
            "$gt": lambda v, c: v is not None and v > c,
        }
        return all(tests[op](value, operand) for op, operand in condition.items())
    return bool(value == condition)


class ProcessingDossiers:
    """Each dossier the fold (domain/dossier.py) of its events; `find` matches the stored fields as the
    Mongo query does (`sort` is not applied: in the order the dossiers arrived)."""

    def __init__(self, calendar: Any) -> None:
        self._calendar = calendar
        self._dossiers: dict[str, tuple[Dossier, int]] = {}
        self._turns: set[str] = set()

    async def ensure_indexes(self) -> None:
        pass

    async def apply(self, event: ev.DossierEvent, *, who: str | None = None) -> tuple[Dossier, bool]:
        before, version = self._dossiers.get(event.dossier_id, (None, 0))
        if before is not None and before.has_seen(str(event.event_id)):
            return before, False
        after = fold(before, event, self._calendar, who=who or event.actor)
        self._dossiers[event.dossier_id] = (after, version + 1)
        return after, True

    async def apply_many(self, events: Sequence[ev.DossierEvent]) -> list[Folded]:
        applied: dict[str, list[str]] = {}
        for event in events:
            if (await self.apply(event))[1]:
                applied.setdefault(event.dossier_id, []).append(str(event.event_id))
        return [Folded(self._dossiers[i][0], tuple(ids)) for i, ids in applied.items()]

    async def get(self, dossier_id: str) -> Dossier | None:
        return self._dossiers.get(dossier_id, (None, 0))[0]

    async def get_many(self, dossier_ids: Sequence[str]) -> dict[str, Dossier]:
        return {i: self._dossiers[i][0] for i in dossier_ids if i in self._dossiers}

    async def latest(self, dossier_id: str) -> tuple[Dossier | None, int]:
        return self._dossiers.get(dossier_id, (None, 0))

    async def take_turn(self, dossier_id: str, version: int) -> str | None:
        key = f"{dossier_id}@{version}"
        if key in self._turns:
            return None
        self._turns.add(key)
        return key

    async def give_back_turn(self, key: str) -> None:
        self._turns.discard(key)

    async def by_code(self, code: str) -> Dossier | None:
        return next((d for d, _ in self._dossiers.values() if d.code == code), None)

    async def find(
        self, query: dict[str, Any], *, sort: list[tuple[str, int]] | None = None, limit: int = 1000
    ) -> list[Dossier]:
        found = [
            d
            for d, _ in self._dossiers.values()
            if all(_matches(to_document(d).get(field), condition) for field, condition in query.items())
        ]
        return found[:limit]

    async def find_each(
        self,
        each: Mapping[str, Sequence[Any]],
        query: dict[str, Any],
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 1000,
    ) -> list[Dossier]:
        return await self.find(
            {**query, **{field: {"$in": list(values)} for field, values in each.items()}}, limit=limit
        )


class Claims:
    """Once-only announcements: the first claim of an event id wins."""

    def __init__(self) -> None:
        self._states: dict[str, str] = {}

    async def claim(self, event: ev.DossierEvent, kind: str) -> bool:
        if str(event.event_id) in self._states:
            return False
        self._states[str(event.event_id)] = "publishing"
        return True

    async def claim_many(self, wanted: Sequence[tuple[ev.DossierEvent, str]]) -> set[str]:
        return {str(event.event_id) for event, kind in wanted if await self.claim(event, kind)}

    async def mark_published(self, event_id: str) -> None:
        self._states[event_id] = "published"

    async def take_over_stale(self) -> list[ev.DossierEvent]:
        return []

    async def state(self, event_id: str) -> str | None:
        return self._states.get(event_id)


# --- notification ----------------------------------------------------------------------------------


class Directory:
    def __init__(self, contacts: dict[str, dict[str, Any]] | None = None) -> None:
        self._dossiers: dict[str, DossierFacts] = {}
        self._agencies: dict[str, str] = {}
        self._contacts = dict(contacts or {})

    async def remember_dossiers(self, known: Sequence[DossierFacts]) -> None:
        self._dossiers |= {facts.dossier_id: facts for facts in known}

    async def move_dossiers(self, moves: Mapping[str, str]) -> None:
        for dossier_id, agency_code in moves.items():
            if dossier_id in self._dossiers:
                self._dossiers[dossier_id] = replace(self._dossiers[dossier_id], agency_code=agency_code)

    async def dossier(self, dossier_id: str) -> DossierFacts | None:
        return self._dossiers.get(dossier_id)

    async def dossiers(self, dossier_ids: Iterable[str]) -> dict[str, DossierFacts]:
        return {i: self._dossiers[i] for i in dossier_ids if i in self._dossiers}

    async def agency_of_code(self, dossier_code: str) -> str | None:
        return next((f.agency_code for f in self._dossiers.values() if f.dossier_code == dossier_code), None)

    async def remember_agency(self, agency_code: str, name: str) -> None:
        self._agencies[agency_code] = name

    async def agency_name(self, agency_code: str) -> str | None:
        return self._agencies.get(agency_code)

    async def agency_names(self, agency_codes: Iterable[str]) -> dict[str, str]:
        return {c: self._agencies[c] for c in agency_codes if c in self._agencies}

    async def set_contacts(self, agency_code: str, emails: list[str], language: str, by: str) -> dict[str, Any]:
        self._contacts[agency_code] = {"emails": emails, "language": language}
        return self._contacts[agency_code]

    async def contacts(self, agency_code: str) -> dict[str, Any] | None:
        return self._contacts.get(agency_code)

    async def contacts_of(self, agency_codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {c: self._contacts[c] for c in agency_codes if c in self._contacts}


class Deliveries:
    """The messages recorded, each once under its id."""

    def __init__(self) -> None:
        self.recorded: dict[str, Delivery] = {}

    async def add_many(self, deliveries: Sequence[Delivery]) -> int:
        new = {d.id: d for d in deliveries if d.id not in self.recorded}
        self.recorded |= new
        return len(new)

    async def remember_events(self, events: Sequence[ev.DossierEvent]) -> None:
        pass

    async def history(self, dossier_code: str) -> list[dict[str, Any]]:
        return []


class Templates:
    """The shipped default templates."""

    def __init__(self) -> None:
        self._templates = default_templates()

    def known(self, template_id: str) -> bool:
        return template_id in self._templates

    async def current(self, template_id: str) -> Template:
        return self._templates[template_id]

    async def current_many(self, template_ids: Iterable[str]) -> dict[str, Template]:
        return {i: self._templates[i] for i in template_ids}

    async def all_current(self) -> list[Template]:
        return list(self._templates.values())

    async def publish(self, template: Template, *, by: str) -> None:
        self._templates[template.id] = template


class Subscriptions:
    """No webhook subscription."""

    async def create(self, url: str, event_types: list[str], secret: str | None, by: str) -> dict[str, Any]:
        raise NotImplementedError

    async def all(self) -> list[dict[str, Any]]:
        return []

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        return None

    async def delete(self, subscription_id: str) -> bool:
        return False

    async def matching(self, event_type: str) -> list[dict[str, Any]]:
        return []


class Letters:
    def __init__(self) -> None:
        self.saved: dict[str, bytes] = {}

    async def save(self, letter_id: str, dossier_code: str, pdf: bytes) -> None:
        self.saved.setdefault(letter_id, pdf)

    async def exists(self, letter_id: str) -> bool:
        return letter_id in self.saved

    async def get(self, letter_id: str) -> dict[str, Any] | None:
        return {"pdf": self.saved[letter_id]} if letter_id in self.saved else None


# --- reporting -------------------------------------------------------------------------------------


class ReportCatalogue:
    """Reporting's catalogue, as given."""

    def __init__(self, catalogue: Any) -> None:
        self._catalogue = catalogue

    async def load(self) -> Any:
        return self._catalogue


class ReportCounters:
    """The pre-aggregated counters, summed from what each dossier's view adds to them (the same
    domain/contributions.py the consumer folds with)."""

    def __init__(self, views: Sequence[Any]) -> None:
        self._rows: Counter[Any] = Counter()
        for view in views:
            self._rows.update(counts(view))

    async def flows(self, kinds: list[str], start: date, end: date) -> list[tuple[Any, int]]:
        low, high = start.isoformat(), end.isoformat()
        return [(key, n) for key, n in self._rows.items() if key.kind in kinds and low <= key.date <= high]

    async def standing_at_end_of(self, day: date, kind: str = "open") -> Any:
        standing: Counter[tuple[str, str, str]] = Counter()
        for key, n in self._rows.items():
            if key.kind == kind and key.date <= day.isoformat():
                standing[(key.agency, key.procedure, key.dim)] += n
        return standing
