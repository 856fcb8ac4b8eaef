"""The clock: announces, once per dossier, that its due time is near (`dossier.due_soon`, a configured
number of working hours before, so the agency can still issue an apology letter in time) and that it
has passed (`dossier.overdue`) while the dossier is open and its clock running (not paused).

Exactly once across restarts and instances: each announcement has a deterministic event id
(uuid5 of dossier id and kind) and is claimed by a unique insert before it is published (see
adapters/announcements.py). The announcement is then folded into processing's own store at once.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from motcua_shared import events as ev
from motcua_shared.lifecycle import RUNNING_STATUSES

from ..adapters.announcements import AnnouncementStore
from ..adapters.publishing import BrokerUnavailable
from ..domain.deadlines import remaining_working_time
from ..domain.dossier import Dossier
from .succession import hand_over_all
from .unit import Processing

log = logging.getLogger(__name__)

# Namespace of announcement event ids: the same dossier and kind always give the same id.
ANNOUNCEMENT_NAMESPACE = uuid.UUID("6f0d3c52-4a5e-4e8e-9a43-2f5a1c7d9b10")
OVERDUE = "overdue"
DUE_SOON = "due_soon"


def announcement_id(dossier_id: str, kind: str) -> uuid.UUID:
    """The event id of the one `kind` announcement of a dossier."""
    return uuid.uuid5(ANNOUNCEMENT_NAMESPACE, f"{dossier_id}:{kind}")


@dataclass
class Clock:
    processing: Processing
    announcements: AnnouncementStore
    due_soon_ahead: timedelta  # working time before the due time at which to warn

    async def tick(self) -> list[ev.DossierEvent]:
        """One look at the dossiers: announce what is due. Returns what this call published."""
        published: list[ev.DossierEvent] = []
        for event in await self.announcements.take_over_stale():
            if await self._already_out(event):
                continue
            if await self._publish(event):
                published.append(event)
        now = self.processing.now()
        running = [s.value for s in RUNNING_STATUSES]
        for dossier in await self.processing.dossiers.find(
            {"status": {"$in": running}, "due_at": {"$lte": now}, "overdue_at": None}
        ):
            event = await self._announce(dossier.dossier_id, OVERDUE, now)
            if event is not None:
                published.append(event)
        # remaining <= ahead  <=>  due <= now + ahead in working time (the calendar is monotonic).
        warn_until = self.processing.calendar.add(now, self.due_soon_ahead)
        for dossier in await self.processing.dossiers.find(
            {"status": {"$in": running}, "due_at": {"$gt": now, "$lte": warn_until}, "due_soon_at": None,
             "overdue_at": None}
        ):
            event = await self._announce(dossier.dossier_id, DUE_SOON, now)
            if event is not None:
                published.append(event)
        # Dissolved agencies' dossiers that arrived after the supersession, or whose date came.
        published += await hand_over_all(self.processing, self.announcements)
        return published

    async def _announce(self, dossier_id: str, kind: str, now: datetime) -> ev.DossierEvent | None:
        # The view may trail the log by a change: decide on the dossier's newest state.
        dossier = await self.processing.dossiers.get(dossier_id)
        if dossier is None:
            return None
        event = self._event(dossier, kind, now)
        if event is None or not await self.announcements.claim(event, kind):
            return None
        return event if await self._publish(event) else None

    def _event(self, dossier: Dossier, kind: str, now: datetime) -> ev.DossierEvent | None:
        if not dossier.clock_running or dossier.due_at is None or dossier.overdue_at is not None:
            return None
        event_id = announcement_id(dossier.dossier_id, kind)
        source = self.processing.source
        if kind == OVERDUE and dossier.due_at <= now:
            # Business time: the dossier became overdue at its due time, however late the clock noticed.
            return ev.DossierOverdue(event_id=event_id, occurred_at=dossier.due_at, source=source,
                                     dossier_id=dossier.dossier_id, data=ev.OverdueData(due_at=dossier.due_at))
        if kind == DUE_SOON and dossier.due_soon_at is None and dossier.due_at > now:
            remaining = remaining_working_time(self.processing.calendar, dossier.due_at, now)
            hours = (Decimal(remaining.total_seconds()) / 3600).quantize(Decimal("0.01"))
            return ev.DossierDueSoon(event_id=event_id, occurred_at=now, source=source, dossier_id=dossier.dossier_id,
                                     data=ev.DueSoonData(due_at=dossier.due_at, remaining_working_hours=hours))
        return None

    async def _already_out(self, event: ev.DossierEvent) -> bool:
        """Whether a stale claim's event reached the topic before its holder died: the dossier has
        folded it (the holder applied it, or processing's own consumer read it back from the topic).
        Then it is only marked; publishing it again would put a second copy on the topic."""
        dossier = await self.processing.dossiers.get(event.dossier_id)
        if dossier is None or not dossier.has_seen(str(event.event_id)):
            return False
        await self.announcements.mark_published(str(event.event_id))
        return True

    async def _publish(self, event: ev.DossierEvent) -> bool:
        try:
            await self.processing.publisher.publish(event)
        except BrokerUnavailable:
            return False  # the claim stays `publishing`; it is taken over once its lease runs out
        await self.processing.dossiers.apply(event)
        await self.announcements.mark_published(str(event.event_id))
        log.info("announced %s for dossier %s", event.event_type, event.dossier_id,
                 extra={"event_id": str(event.event_id), "dossier_id": event.dossier_id})
        return True


async def run_clock(clock: Clock, *, interval: float) -> None:
    """Tick every `interval` seconds until cancelled; a failing tick is logged and retried next time."""
    while True:
        try:
            await clock.tick()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the clock's tick failed; trying again in %s s", interval)
        await asyncio.sleep(interval)
