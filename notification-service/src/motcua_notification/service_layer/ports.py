"""What the service layer needs from the outside, as protocols the adapters (and unit fakes) fulfil."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from motcua_shared import events as ev

from ..domain.context import DossierFacts
from ..domain.delivery import Delivery, Status
from ..domain.templates import Template


class SendError(Exception):
    """A send that did not go through. `permanent` failures are not retried (a refused address, a 4xx
    from a gateway); transient ones are (the server is away, a 5xx, a time-out)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


class EmailSender(Protocol):
    async def send_email(
        self, *, message_id: str, to: str, subject: str, body: str, attachments: list[Attachment]
    ) -> None: ...


class SmsSender(Protocol):
    async def send_sms(self, *, reference: str, to: str, text: str) -> None: ...


class WebhookSender(Protocol):
    async def post(self, *, reference: str, url: str, body: bytes, secret: str, event_type: str) -> None: ...


class OutcomePublisher(Protocol):
    async def publish(self, *, key: str, value: bytes) -> None: ...


class ZaloSender(Protocol):
    async def send_template(
        self, *, reference: str, phone: str, template_id: str, template_data: dict[str, str]
    ) -> str | None:
        """Send one ZNS message; Zalo's `msg_id` when it answers with one."""
        ...


# --- the stores the notifier decides with (the Mongo ones in adapters/, in-memory fakes in tests/unit) ---


class Directory(Protocol):
    """What notification knows of each dossier (from dossier.submitted) and agency (names, contacts)."""

    async def remember_dossiers(self, known: Sequence[DossierFacts]) -> None: ...
    async def move_dossiers(self, moves: Mapping[str, str]) -> None: ...
    async def dossier(self, dossier_id: str) -> DossierFacts | None: ...
    async def dossiers(self, dossier_ids: Iterable[str]) -> dict[str, DossierFacts]: ...
    async def agency_of_code(self, dossier_code: str) -> str | None: ...
    async def remember_agency(self, agency_code: str, name: str) -> None: ...
    async def agency_name(self, agency_code: str) -> str | None: ...
    async def agency_names(self, agency_codes: Iterable[str]) -> dict[str, str]: ...
    async def set_contacts(self, agency_code: str, emails: list[str], language: str, by: str) -> dict[str, Any]: ...
    async def contacts(self, agency_code: str) -> dict[str, Any] | None: ...
    async def contacts_of(self, agency_codes: Iterable[str]) -> dict[str, dict[str, Any]]: ...


class Deliveries(Protocol):
    """Messages to send, each once under its unique id (the dispatcher sends them)."""

    async def add_many(self, deliveries: Sequence[Delivery]) -> int:
        """Record a batch's deliveries as to be sent; the number newly recorded (those already there
        came with an earlier delivery of the batch)."""
        ...

    async def remember_events(self, events: Sequence[ev.DossierEvent]) -> None:
        """Keep events that may make a waiting message untrue, each once."""
        ...

    async def history(self, dossier_code: str) -> list[dict[str, Any]]: ...


class Queue(Protocol):
    """What the dispatcher works through: the deliveries due, each attempt claimed and recorded, the
    events that supersede a waiting message, and the outbox of outcome events."""

    async def due(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]: ...

    async def claim_attempt(self, delivery: dict[str, Any]) -> int | None:
        """The attempt's number if this caller won it, None when another holds the delivery."""
        ...

    async def record_attempt(
        self, delivery_id: str, attempt: dict[str, Any], status: Status, due_at: datetime | None = None
    ) -> None: ...
    async def sending_since_before(self, before: datetime) -> list[dict[str, Any]]: ...
    async def release_dead_claims(self, before: datetime) -> int: ...
    async def first_event_since(
        self, dossier_id: str, since: datetime, event_types: frozenset[str], other_than: str
    ) -> dict[str, Any] | None: ...
    async def record_superseded(self, delivery_id: str, event: dict[str, Any]) -> None: ...
    async def add_outcome(self, event_id: str, key: str, value: bytes) -> None: ...
    async def mark_published(self, event_id: str) -> None: ...
    async def unpublished(self, before: datetime, limit: int = 100) -> list[dict[str, Any]]: ...


class Templates(Protocol):
    """The message templates: the shipped defaults, or an admin's newer version."""

    def known(self, template_id: str) -> bool: ...
    async def current(self, template_id: str) -> Template: ...
    async def current_many(self, template_ids: Iterable[str]) -> dict[str, Template]: ...
    async def all_current(self) -> list[Template]: ...
    async def publish(self, template: Template, *, by: str) -> None: ...


class Subscriptions(Protocol):
    """Integrators' webhook subscriptions."""

    async def create(self, url: str, event_types: list[str], secret: str | None, by: str) -> dict[str, Any]: ...
    async def all(self) -> list[dict[str, Any]]: ...
    async def get(self, subscription_id: str) -> dict[str, Any] | None: ...
    async def delete(self, subscription_id: str) -> bool: ...
    async def matching(self, event_type: str) -> list[dict[str, Any]]: ...


class Letters(Protocol):
    """Apology letters (PDF), stored once each."""

    async def save(self, letter_id: str, dossier_code: str, pdf: bytes) -> None: ...
    async def exists(self, letter_id: str) -> bool: ...
    async def get(self, letter_id: str) -> dict[str, Any] | None: ...
