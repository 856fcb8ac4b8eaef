"""What one fresh event calls for, decided in memory: who (the routing table, the dossier's facts, the
agency's contacts, the webhook subscriptions), in which words (the templates, in the reader's
language) and when (SMS quiet hours). Everything it needs from the store is read beforehand, once
per batch (`Lookups`); the notifier records what it decides."""

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from motcua_shared import events as ev
from motcua_shared.events import NotificationChannel

from ..adapters.pdf import ApologyLetter, render_apology_letter
from ..domain.context import DossierFacts, placeholder_values
from ..domain.delivery import Delivery, normalise_recipient
from ..domain.language import Language, choose_language
from ..domain.policy import QuietHours
from ..domain.routing import Audience, Route, routes_for, subscribes_to
from ..domain.sms import count_segments, remove_diacritics
from ..domain.templates import Template
from ..domain.zalo import ZaloTemplate, kind_of, zalo_phone, zalo_routes

log = logging.getLogger(__name__)

WEBHOOK_TEMPLATE = "webhook.event"
_LETTER_NAMESPACE = uuid.UUID("0b8e1f57-2a9c-4b0e-8d55-4d1a0c6e7f21")


def letter_id_for(event: ev.DossierApologyIssued) -> str:
    # Our own id, one per apology event: the officer's `letter_id` is their numbering, printed on the
    # letter but not trusted to be unique across agencies.
    return str(uuid.uuid5(_LETTER_NAMESPACE, str(event.event_id)))


@dataclass(frozen=True)
class Recipient:
    address: str
    language: Language


@dataclass(frozen=True)
class Lookups:
    """What deciding a batch's events reads from the store, once for the whole batch."""

    agency_names: Mapping[str, str] = field(default_factory=dict)
    contacts: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    templates: Mapping[str, Template] = field(default_factory=dict)
    subscriptions: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class Letter:
    letter_id: str
    dossier_code: str
    pdf: bytes


@dataclass
class Decision:
    deliveries: list[Delivery] = field(default_factory=list)
    letter: Letter | None = None  # an apology letter, stored before the email that carries it


def template_ids(event_type: str) -> set[str]:
    """The templates an event of `event_type` may be written with (read before deciding)."""
    return {route.template_id for route in routes_for(event_type)}


@dataclass(kw_only=True)
class Decider:
    quiet_hours: QuietHours
    sms_without_diacritics: bool
    portal_url: str
    # Empty unless Zalo is configured (an access token and a template per kind to send).
    zalo_templates: Mapping[str, ZaloTemplate] = field(default_factory=dict)

    def decide(
        self, event: ev.DossierEvent, facts: DossierFacts | None, lookups: Lookups, now: datetime, at: datetime
    ) -> Decision:
        """The messages `event` calls for, due from `now` and recorded as created `at` (the order of its
        dossier's events), with `facts` as they stood at that event."""
        decision = Decision()
        if facts is None:
            log.warning(
                "no dossier.submitted seen for %s; only webhooks are told of %s",
                event.dossier_id,
                event.event_type,
                extra={"event_id": str(event.event_id)},
            )
        else:
            agency_name = lookups.agency_names.get(facts.agency_code)
            if facts.receiving_agency_code:  # received at another agency's counter: name it
                facts = replace(facts, receiving_agency_name=lookups.agency_names.get(facts.receiving_agency_code))
            for route in routes_for(event.event_type):
                for recipient in self._recipients(route, facts, lookups):
                    decision.deliveries.append(
                        self._message(
                            event, facts, route, recipient, lookups.templates[route.template_id], agency_name, now, at
                        )
                    )
            if facts.zalo_consent and facts.phone:  # Zalo only with the applicant's consent
                decision.deliveries += [
                    self._zalo_message(event, facts, route, agency_name, now, at)
                    for route in zalo_routes(event.event_type, self.zalo_templates)
                ]
            if isinstance(event, ev.DossierApologyIssued) and any(d.letter_id for d in decision.deliveries):
                decision.letter = _apology_letter(event, facts, agency_name)
        decision.deliveries += _webhook_calls(event, facts, lookups.subscriptions, now, at)
        return decision

    def _recipients(self, route: Route, facts: DossierFacts, lookups: Lookups) -> list[Recipient]:
        if route.audience == Audience.APPLICANT:
            address = facts.email if route.channel == NotificationChannel.EMAIL else facts.phone
            if not address:
                return []
            return [Recipient(normalise_recipient(route.channel, address), choose_language(facts.preferred_language))]
        contacts = lookups.contacts.get(facts.agency_code)
        if not contacts:
            log.warning("agency %s has no contact; %s not sent", facts.agency_code, route.template_id)
            return []
        if route.channel != NotificationChannel.EMAIL:
            return []  # agencies are told by email only
        language = choose_language(contacts["language"])
        return [Recipient(normalise_recipient(route.channel, e), language) for e in contacts["emails"]]

    def _message(
        self,
        event: ev.DossierEvent,
        facts: DossierFacts,
        route: Route,
        recipient: Recipient,
        template: Template,
        agency_name: str | None,
        now: datetime,
        at: datetime,
    ) -> Delivery:
        values = placeholder_values(
            event, facts, recipient.language, agency_name=agency_name, portal_url=self.portal_url
        )
        rendered = template.render(recipient.language, values)
        delivery = Delivery(
            cause_event_id=str(event.event_id),
            event_type=event.event_type,
            dossier_id=event.dossier_id,
            dossier_code=facts.dossier_code,
            agency_code=facts.agency_code,
            audience=route.audience,
            channel=route.channel,
            recipient=recipient.address,
            template=template.id,
            template_version=template.version,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            due_at=now,
            created_at=at,
            cause_occurred_at=event.occurred_at,
        )
        if route.channel == NotificationChannel.SMS:
            if self.sms_without_diacritics:
                delivery.body = remove_diacritics(delivery.body)
            count = count_segments(delivery.body)
            delivery.sms_encoding, delivery.sms_segments = count.encoding.value, count.segments
            delivery.due_at = self.quiet_hours.next_allowed(now)
        if isinstance(event, ev.DossierApologyIssued) and route.channel == NotificationChannel.EMAIL:
            delivery.letter_id = letter_id_for(event)
        return delivery

    def _zalo_message(
        self,
        event: ev.DossierEvent,
        facts: DossierFacts,
        route: Route,
        agency_name: str | None,
        now: datetime,
        at: datetime,
    ) -> Delivery:
        """A ZNS message: the approved template's id and its parameters filled from our placeholders
        (in the language the template was approved in)."""
        assert facts.phone is not None
        template = self.zalo_templates[kind_of(route.template_id)]
        language: Language = "en" if template.language == "en" else "vi"
        values = placeholder_values(event, facts, language, agency_name=agency_name, portal_url=self.portal_url)
        body = json.dumps(
            {"template_id": template.template_id, "template_data": template.template_data(values)}, ensure_ascii=False
        )
        return Delivery(
            cause_event_id=str(event.event_id),
            event_type=event.event_type,
            dossier_id=event.dossier_id,
            dossier_code=facts.dossier_code,
            agency_code=facts.agency_code,
            audience=Audience.APPLICANT,
            channel=NotificationChannel.ZALO,
            recipient=zalo_phone(facts.phone) or facts.phone.strip(),
            template=route.template_id,
            template_version=1,
            language=language,
            body=body,
            due_at=now,
            created_at=at,
            cause_occurred_at=event.occurred_at,
        )


def _apology_letter(event: ev.DossierApologyIssued, facts: DossierFacts, agency_name: str | None) -> Letter:
    letter_id = letter_id_for(event)
    pdf = render_apology_letter(
        ApologyLetter(
            letter_id=letter_id,
            number=event.data.letter_id,
            dossier_code=facts.dossier_code,
            procedure_code=facts.procedure_code,
            agency_name=agency_name or facts.agency_code,
            applicant_name=facts.applicant_name,
            reason=event.data.reason,
            new_due_at=event.data.new_due_at,
            issued_at=event.occurred_at,
        )
    )
    return Letter(letter_id, facts.dossier_code, pdf)


def _webhook_calls(
    event: ev.DossierEvent,
    facts: DossierFacts | None,
    subscriptions: Sequence[dict[str, Any]],
    now: datetime,
    at: datetime,
) -> list[Delivery]:
    wanted = [s for s in subscriptions if subscribes_to(s["event_types"], event.event_type)]
    if not wanted:
        return []
    body = event.to_bytes().decode()
    return [
        Delivery(
            cause_event_id=str(event.event_id),
            event_type=event.event_type,
            dossier_id=event.dossier_id,
            dossier_code=facts.dossier_code if facts else None,
            agency_code=facts.agency_code if facts else None,
            audience=Audience.INTEGRATOR,
            channel=NotificationChannel.WEBHOOK,
            recipient=subscription["_id"],
            template=WEBHOOK_TEMPLATE,
            template_version=1,
            language="-",
            body=body,
            due_at=now,
            created_at=at,
            webhook_url=subscription["url"],
            subscription_id=subscription["_id"],
        )
        for subscription in wanted
    ]
