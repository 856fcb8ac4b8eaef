"""Everything a processing use case needs, wired once in bootstrap.py and handed down."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.refusals import Refused, Unavailable
from motcua_shared.topics import Topics

from ..domain.deadlines import WorkingCalendar
from .ports import Catalogue, Claims, Dossiers, Freshness, Publisher


def province_now() -> datetime:
    """The current instant in the province's time zone."""
    return datetime.now(PROVINCE_TZ)


@dataclass
class Processing:
    """Processing's dependencies: the ports (service_layer/ports.py) bootstrap fills with the Mongo
    stores and the Kafka publisher, the unit tests with fakes."""

    source: str
    topics: Topics
    dossiers: Dossiers
    catalogue: Catalogue
    publisher: Publisher
    calendar: WorkingCalendar
    # How far processing's consumer group has folded its topics, and how long a request waits for it.
    freshness: Freshness
    view_wait_seconds: float = 5.0
    retry_after_seconds: int = 5
    # Issue 18: the supplement time when neither officer nor procedure gives one (working days), and
    # how near the due time a dossier is "due soon" (sắp trễ) on the officer's screen.
    supplement_working_days: Decimal = Decimal(15)
    due_soon_ahead: timedelta = timedelta(hours=8)
    # Business time of officers' actions and of the clock; replaced in tests to stand on a given date.
    now: Callable[[], datetime] = province_now
    # Claims of once-only events (the clock's announcements, hand-overs of a dissolved agency's dossiers).
    claims: Claims | None = None

    async def responsible(self, agency_code: str) -> str:
        """The agency that acts for `agency_code` today: its successor once it was dissolved."""
        return await self.catalogue.responsible(agency_code, self.now().date())

    async def folded(self, dossier_id: str | None, *, within: float | None = None) -> int | None:
        """Wait (up to `view_wait_seconds` unless told) until the consumer group has folded every
        event published before now on the partition of `dossier_id` (on every partition when None).
        The events still to fold then: 0 when the view is current, None when not measured."""
        wait = self.view_wait_seconds if within is None else within
        return await self.freshness.wait_folded(self.topics.dossier_events, key=dossier_id, within=wait)

    def view_behind(self, code: str) -> Refused:
        return Unavailable(
            "view_behind",
            f"dữ liệu hồ sơ {code} ở dịch vụ xử lý chưa kịp cập nhật; xin thử lại sau "
            f"{self.retry_after_seconds} giây (processing's view has not yet folded every event "
            f"published before this request; retry in {self.retry_after_seconds} seconds)",
            retry_after=self.retry_after_seconds,
        )
