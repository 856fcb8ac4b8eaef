"""What every use case works with, wired once in bootstrap."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from motcua_shared.events import Envelope, ProcessingTime
from motcua_shared.topics import Topics

from .ports import Attempts, Catalogue, Dossiers, Freshness, Publisher, Requests


class WorkingCalendar(Protocol):
    """The shared working-time calendar (motcua_shared.calendar)."""

    def due_at(self, received_at: datetime, procedure_processing_time: ProcessingTime) -> datetime:
        """When a dossier received at `received_at` is due."""
        ...

    def moved_due_at(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """`due_at` moved by the working time between `paused_at` and `resumed_at`."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Intake:
    """Intake's dependencies: the ports (service_layer/ports.py) bootstrap fills with the Mongo stores
    and the Kafka publisher, the unit tests with fakes."""

    source: str
    topics: Topics
    catalogue: Catalogue
    dossiers: Dossiers
    idempotency: Requests
    publisher: Publisher
    calendar: WorkingCalendar
    phone_hash_key: bytes
    retry_after_seconds: int
    tracking_attempts: Attempts
    public_base_url: str
    # How far intake's consumer group has folded its topics, and how long a request waits for it.
    freshness: Freshness
    view_wait_seconds: float
    # Business time of a receipt (the clock, the cut-off); replaced in tests to stand on a given day.
    now: Callable[[], datetime] = utc_now
    # New dossiers being received by this instance, by idempotency record id: their fingerprint.
    receiving: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What a request leads to: events to publish under one key, then the answer to give."""

    topic: str
    key: str
    events: list[Envelope]
    response: dict[str, Any]
    # Applicants' phones travel in dossier.submitted; intake keeps only their hash.
    phone_hash: str | None = None
