"""Everything a processing use case needs, wired once in bootstrap.py and handed down."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.catalogue import CatalogueStore
from motcua_shared.topics import Topics

from ..adapters.dossier_store import DossierStore
from ..adapters.publishing import EventPublisher
from ..domain.deadlines import WorkingCalendar


def province_now() -> datetime:
    """The current instant in the province's time zone."""
    return datetime.now(PROVINCE_TZ)


@dataclass
class Processing:
    source: str
    topics: Topics
    dossiers: DossierStore
    catalogue: CatalogueStore
    publisher: EventPublisher
    calendar: WorkingCalendar
    retry_after_seconds: int = 5
    # Business time of officers' actions and of the clock; replaced in tests to stand on a given date.
    now: Callable[[], datetime] = province_now
