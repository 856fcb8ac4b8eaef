"""Folding dossier events into deliveries, a batch at a time, in order per dossier:

1. what each event teaches about its dossier (the applicant from `dossier.submitted`, the agency
   from `dossier.transferred`) is folded in memory, so a later event of the batch sees it;
2. events older than the freshness window (imports, replays) stop there: they notify nobody;
3. what the fresh ones need (their dossiers' facts, agency names and contacts, templates, webhook
   subscriptions) is read once for the whole batch, and each is decided in memory (deciding.py);
4. written in bulk, together: the dossiers' facts, the events that can make a waiting SMS untrue
   (domain/supersession.py), and the apology letters followed by the deliveries, inserted under
   their unique ids, which makes a redelivered batch a no-op. The dispatcher sends them.

An event whose decision fails (the same failure every time: a bug, a template it breaks) is handed
back as poisoned, with the error, for the consumer to dead-letter; the rest of its batch is recorded."""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from motcua_shared import events as ev

from ..domain.context import DossierFacts
from ..domain.policy import QuietHours, is_fresh
from ..domain.routing import Audience, routes_for
from ..domain.supersession import SUPERSEDING
from ..domain.zalo import ZaloTemplate
from .deciding import Decider, Decision, Lookups, template_ids
from .ports import Deliveries, Directory, Letters, Subscriptions, Templates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Folded:
    """What a batch came to: deliveries newly recorded, and the events that could not be decided."""

    added: int = 0
    poisoned: list[tuple[ev.DossierEvent, Exception]] = field(default_factory=list)


@dataclass(frozen=True)
class _Fresh:
    event: ev.DossierEvent
    facts: DossierFacts | None  # as they stood at this event
    at: datetime  # recorded as created then


def facts_of(event: ev.DossierSubmitted) -> DossierFacts:
    data, applicant = event.data, event.data.applicant
    return DossierFacts(
        dossier_id=event.dossier_id,
        dossier_code=data.dossier_code,
        agency_code=data.agency_code,
        procedure_code=data.procedure_code,
        applicant_name=applicant.full_name,
        email=str(applicant.email) if applicant.email else None,
        phone=applicant.phone,
        preferred_language=applicant.preferred_language,
        zalo_consent=bool(applicant.zalo_consent),
        receiving_agency_code=data.receiving_agency_code,
    )


@dataclass
class _Learnt:
    """What a batch teaches about its dossiers, folded in order: each one's facts as of the event at
    hand, the facts to write whole (submitted in this batch) and the moves of the others."""

    facts: dict[str, DossierFacts]
    submitted: dict[str, DossierFacts] = field(default_factory=dict)
    moves: dict[str, str] = field(default_factory=dict)

    def learn(self, event: ev.DossierEvent) -> None:
        # Even an old event teaches us an applicant's contact, needed by the fresh events that follow.
        dossier = event.dossier_id
        if isinstance(event, ev.DossierSubmitted):
            self.facts[dossier] = self.submitted[dossier] = facts_of(event)
            self.moves.pop(dossier, None)
        elif isinstance(event, ev.DossierTransferred):
            if dossier in self.facts:
                self.facts[dossier] = replace(self.facts[dossier], agency_code=event.data.to_agency_code)
            if dossier in self.submitted:
                self.submitted[dossier] = self.facts[dossier]
            else:
                self.moves[dossier] = event.data.to_agency_code


def _to_look_up(events: Sequence[ev.DossierEvent], fresh: Sequence[bool]) -> set[str]:
    """The dossiers whose facts the batch's fresh events need and that it does not teach first."""
    taught: set[str] = set()
    needed: set[str] = set()
    for event, is_fresh_event in zip(events, fresh, strict=True):
        if isinstance(event, ev.DossierSubmitted):
            taught.add(event.dossier_id)
        elif is_fresh_event and event.dossier_id not in taught:
            needed.add(event.dossier_id)
    return needed


@dataclass(kw_only=True)
class Notifier:
    directory: Directory
    deliveries: Deliveries
    templates: Templates
    subscriptions: Subscriptions
    letters: Letters
    freshness: timedelta
    quiet_hours: QuietHours
    sms_without_diacritics: bool
    portal_url: str
    now: Callable[[], datetime]
    wake: Callable[[], None] = lambda: None
    # Empty unless Zalo is configured (an access token and a template per kind to send).
    zalo_templates: Mapping[str, ZaloTemplate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.decider = Decider(
            quiet_hours=self.quiet_hours,
            sms_without_diacritics=self.sms_without_diacritics,
            portal_url=self.portal_url,
            zalo_templates=self.zalo_templates,
        )

    async def on_catalog_event(self, event: ev.Envelope) -> None:
        if isinstance(event, ev.AgencyRegistered):
            await self.directory.remember_agency(event.data.agency_code, event.data.name)

    async def on_dossier_event(self, event: ev.DossierEvent) -> int:
        """One event as a batch of one; the number of deliveries newly recorded (0 when it came before)."""
        folded = await self.on_dossier_events([event])
        if folded.poisoned:
            raise folded.poisoned[0][1]
        return folded.added

    async def on_dossier_events(self, events: Sequence[ev.DossierEvent]) -> Folded:
        """Record the deliveries a batch of events calls for (see the module docstring). `events` are
        in order per dossier (a partition's order)."""
        now = self.now()
        fresh = [is_fresh(e.occurred_at, now, self.freshness) for e in events]
        learnt = _Learnt(await self.directory.dossiers(_to_look_up(events, fresh)))
        decided_before: Counter[str] = Counter()
        to_decide: list[_Fresh] = []
        for event, is_fresh_event in zip(events, fresh, strict=True):
            learnt.learn(event)
            if is_fresh_event:
                # The k-th of a dossier's events in the batch is recorded as created k ms later (due
                # now all the same): its history, sorted by created_at, which the store keeps to the
                # millisecond, stays in the order of its events.
                at = now + timedelta(milliseconds=decided_before[event.dossier_id])
                decided_before[event.dossier_id] += 1
                to_decide.append(_Fresh(event, learnt.facts.get(event.dossier_id), at))
        if len(to_decide) < len(events):
            log.info(
                "not notifying %d of %d events: they occurred outside the freshness window (%s)",
                len(events) - len(to_decide),
                len(events),
                self.freshness,
            )
        decisions, poisoned = self._decide(to_decide, await self._lookups(to_decide), now)
        _, _, _, added = await asyncio.gather(
            self.directory.remember_dossiers(list(learnt.submitted.values())),
            self.directory.move_dossiers(learnt.moves),
            self.deliveries.remember_events([f.event for f in to_decide if f.event.event_type in SUPERSEDING]),
            self._record(decisions),
        )
        if added:
            self.wake()
        return Folded(added, poisoned)

    async def _record(self, decisions: Sequence[Decision]) -> int:
        """The letters, then the deliveries (an apology email must find its PDF stored when it goes)."""
        letters = [d.letter for d in decisions if d.letter]
        await asyncio.gather(*(self.letters.save(x.letter_id, x.dossier_code, x.pdf) for x in letters))
        return await self.deliveries.add_many([d for decision in decisions for d in decision.deliveries])

    async def _lookups(self, to_decide: Sequence[_Fresh]) -> Lookups:
        """One read of everything the batch's decisions need."""
        if not to_decide:
            return Lookups()
        known = [f for f in to_decide if f.facts is not None]
        agencies = {f.facts.agency_code for f in known if f.facts} | {
            f.facts.receiving_agency_code for f in known if f.facts and f.facts.receiving_agency_code
        }
        told = {
            f.facts.agency_code
            for f in known
            if f.facts and any(r.audience == Audience.AGENCY for r in routes_for(f.event.event_type))
        }
        templates = set().union(*(template_ids(f.event.event_type) for f in known))
        names, contacts, current, subscriptions = await asyncio.gather(
            self.directory.agency_names(agencies),
            self.directory.contacts_of(told),
            self.templates.current_many(templates),
            self.subscriptions.all(),
        )
        return Lookups(agency_names=names, contacts=contacts, templates=current, subscriptions=subscriptions)

    def _decide(
        self, to_decide: Sequence[_Fresh], lookups: Lookups, now: datetime
    ) -> tuple[list[Decision], list[tuple[ev.DossierEvent, Exception]]]:
        decisions: list[Decision] = []
        poisoned: list[tuple[ev.DossierEvent, Exception]] = []
        for fresh in to_decide:
            try:
                decisions.append(self.decider.decide(fresh.event, fresh.facts, lookups, now, fresh.at))
            except Exception as error:  # in memory, so the same every time: the event's own fault
                log.exception("could not decide what %s calls for", fresh.event.event_type)
                poisoned.append((fresh.event, error))
        return decisions, poisoned
