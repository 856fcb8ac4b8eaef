"""Deciding what to send for an event: who (the routing table and the directory), in which words (the
templates, in the reader's language), when (freshness, SMS quiet hours), and recording each message
as a delivery under its unique id, which makes a redelivered event a no-op. The dispatcher sends.
Events that can make a waiting SMS untrue are remembered for the dispatcher (domain/supersession.py)."""

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.events import NotificationChannel

from ..adapters.pdf import ApologyLetter, render_apology_letter
from ..domain.context import DossierFacts, placeholder_values
from ..domain.delivery import Delivery, normalise_recipient
from ..domain.language import Language, choose_language
from ..domain.policy import QuietHours, is_fresh
from ..domain.routing import Audience, Route, routes_for
from ..domain.sms import count_segments, remove_diacritics
from ..domain.supersession import SUPERSEDING
from ..domain.zalo import ZaloTemplate, kind_of, zalo_phone, zalo_routes
from .ports import Deliveries, Directory, Letters, Subscriptions, Templates

log = logging.getLogger(__name__)

WEBHOOK_TEMPLATE = "webhook.event"
_LETTER_NAMESPACE = uuid.UUID("0b8e1f57-2a9c-4b0e-8d55-4d1a0c6e7f21")


@dataclass(frozen=True)
class Recipient:
    address: str
    language: Language


def letter_id_for(event: ev.DossierApologyIssued) -> str:
    # Our own id, one per apology event: the officer's `letter_id` is their numbering, printed on the
    # letter but not trusted to be unique across agencies.
    return str(uuid.uuid5(_LETTER_NAMESPACE, str(event.event_id)))


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

    async def on_catalog_event(self, event: ev.Envelope) -> None:
        if isinstance(event, ev.AgencyRegistered):
            await self.directory.remember_agency(event.data.agency_code, event.data.name)

    async def on_dossier_event(self, event: ev.DossierEvent) -> int:
        """Record the deliveries `event` calls for; the number newly recorded (0 when it came before)."""
        await self._remember(event)
        now = self.now()
        if not is_fresh(event.occurred_at, now, self.freshness):
            log.info(
                "not notifying %s of %s: it occurred at %s, outside the freshness window",
                event.event_type,
                event.dossier_id,
                event.occurred_at.isoformat(),
                extra={"event_id": str(event.event_id)},
            )
            return 0
        if event.event_type in SUPERSEDING:  # it may make a message still waiting untrue
            await self.deliveries.remember_event(
                str(event.event_id), event.dossier_id, event.event_type, event.occurred_at
            )
        facts = await self.directory.dossier(event.dossier_id)
        planned: list[Delivery] = []
        if facts is None:
            log.warning(
                "no dossier.submitted seen for %s; only webhooks are told of %s",
                event.dossier_id,
                event.event_type,
                extra={"event_id": str(event.event_id)},
            )
        else:
            agency_name = await self.directory.agency_name(facts.agency_code)
            if facts.receiving_agency_code:  # received at another agency's counter: name it
                facts = replace(
                    facts, receiving_agency_name=await self.directory.agency_name(facts.receiving_agency_code)
                )
            for route in routes_for(event.event_type):
                for recipient in await self._recipients(route, facts):
                    planned.append(await self._message(event, facts, route, recipient, agency_name, now))
            if facts.zalo_consent and facts.phone:  # Zalo only with the applicant's consent
                planned += [
                    self._zalo_message(event, facts, route, agency_name, now)
                    for route in zalo_routes(event.event_type, self.zalo_templates)
                ]
            if any(d.letter_id for d in planned):
                await self._store_letter(event, facts, agency_name, now)
        planned += await self._webhook_calls(event, facts, now)

        added = 0
        for delivery in planned:
            added += await self.deliveries.add(delivery)
        if added:
            self.wake()
        return added

    async def _remember(self, event: ev.DossierEvent) -> None:
        # Even an old event teaches us an applicant's contact, needed by the fresh events that follow.
        if isinstance(event, ev.DossierSubmitted):
            data, applicant = event.data, event.data.applicant
            await self.directory.remember_dossier(
                DossierFacts(
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
            )
        elif isinstance(event, ev.DossierTransferred):
            await self.directory.move_dossier(event.dossier_id, event.data.to_agency_code)

    async def _recipients(self, route: Route, facts: DossierFacts) -> list[Recipient]:
        if route.audience == Audience.APPLICANT:
            address = facts.email if route.channel == NotificationChannel.EMAIL else facts.phone
            if not address:
                return []
            return [Recipient(normalise_recipient(route.channel, address), choose_language(facts.preferred_language))]
        contacts = await self.directory.contacts(facts.agency_code)
        if not contacts:
            log.warning("agency %s has no contact; %s not sent", facts.agency_code, route.template_id)
            return []
        if route.channel != NotificationChannel.EMAIL:
            return []  # agencies are told by email only
        language = choose_language(contacts["language"])
        return [Recipient(normalise_recipient(route.channel, e), language) for e in contacts["emails"]]

    async def _message(
        self,
        event: ev.DossierEvent,
        facts: DossierFacts,
        route: Route,
        recipient: Recipient,
        agency_name: str | None,
        now: datetime,
    ) -> Delivery:
        template = await self.templates.current(route.template_id)
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
            created_at=now,
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
        self, event: ev.DossierEvent, facts: DossierFacts, route: Route, agency_name: str | None, now: datetime
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
            created_at=now,
            cause_occurred_at=event.occurred_at,
        )

    async def _store_letter(
        self, event: ev.DossierEvent, facts: DossierFacts, agency_name: str | None, now: datetime
    ) -> None:
        assert isinstance(event, ev.DossierApologyIssued)
        letter_id = letter_id_for(event)
        if await self.letters.exists(letter_id):
            return
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
        await self.letters.save(letter_id, facts.dossier_code, pdf)

    async def _webhook_calls(self, event: ev.DossierEvent, facts: DossierFacts | None, now: datetime) -> list[Delivery]:
        calls: list[Delivery] = []
        body = event.to_bytes().decode()
        subscription: dict[str, Any]
        for subscription in await self.subscriptions.matching(event.event_type):
            calls.append(
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
                    created_at=now,
                    webhook_url=subscription["url"],
                    subscription_id=subscription["_id"],
                )
            )
        return calls
