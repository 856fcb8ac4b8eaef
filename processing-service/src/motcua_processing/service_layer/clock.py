"""The clock: announces, once per dossier, that its due time is near (`dossier.due_soon`, a configured
number of working hours before, so the agency can still issue an apology letter in time) and that it
has passed (`dossier.overdue`) while the dossier is open and its clock running (not paused).

Issue 18: once per supplement request, that the applicant's time for the papers ends soon
(`dossier.supplement_due_soon`, for notification's reminder) and that it passed without them
(`dossier.supplement_expired`: the officer may refuse); once per dossier, that a result ready has not
been collected for a configured number of working days (`dossier.result_uncollected`).

Exactly once across restarts and instances: each announcement has a deterministic event id
(uuid5 of dossier id and kind) and is claimed by a unique insert before it is published (see
adapters/announcements.py). The announcement is then folded into processing's own store at once.
A sweep does each step for a chunk of dossiers together (docs/processing.md).
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from motcua_shared import events as ev
from motcua_shared.lifecycle import RUNNING_STATUSES, DossierStatus
from motcua_shared.publishing import BrokerUnavailable

from ..domain.deadlines import remaining_working_time
from ..domain.dossier import Dossier
from .ports import Claims
from .succession import hand_over_all
from .unit import Processing

log = logging.getLogger(__name__)

# Namespace of announcement event ids: the same dossier and kind always give the same id.
ANNOUNCEMENT_NAMESPACE = uuid.UUID("6f0d3c52-4a5e-4e8e-9a43-2f5a1c7d9b10")
OVERDUE = "overdue"
DUE_SOON = "due_soon"
SUPPLEMENT_DUE_SOON = "supplement_due_soon"  # kinds of a supplement request: "<kind>:<request's event id>"
SUPPLEMENT_EXPIRED = "supplement_expired"
UNCOLLECTED = "result_uncollected"
# Dossiers announced together: each step of a chunk is one store command or a few in flight together
# (reads by id in flight; FerretDB writes one insert command's documents one after the other).
ANNOUNCE_CHUNK = 100


def announcement_id(dossier_id: str, kind: str) -> uuid.UUID:
    """The event id of the one `kind` announcement of a dossier."""
    return uuid.uuid5(ANNOUNCEMENT_NAMESPACE, f"{dossier_id}:{kind}")


@dataclass
class Clock:
    processing: Processing
    announcements: Claims
    due_soon_ahead: timedelta  # working time before the due time at which to warn
    supplement_reminder_ahead: timedelta = timedelta(hours=16)  # before the supplement time ends
    uncollected_after: timedelta = timedelta(hours=40)  # working time a result may wait to be collected

    async def tick(self) -> list[ev.DossierEvent]:
        """One look at the dossiers: announce what is due. Returns what this call published."""
        published: list[ev.DossierEvent] = []
        for event in await self.announcements.take_over_stale():
            if await self._already_out(event):
                continue
            if await self._publish(event):
                published.append(event)
        now = self.processing.now()
        overdue = await self._running({"due_at": {"$lte": now}, "overdue_at": None})
        published += await self._announce_all([(d.dossier_id, OVERDUE) for d in overdue], now)
        # remaining <= ahead  <=>  due <= now + ahead in working time (the calendar is monotonic).
        warn_until = self.processing.calendar.add(now, self.due_soon_ahead)
        due_soon = await self._running(
            {"due_at": {"$gt": now, "$lte": warn_until}, "due_soon_at": None, "overdue_at": None}
        )
        published += await self._announce_all([(d.dossier_id, DUE_SOON) for d in due_soon], now)
        published += await self._supplements_and_results(now)
        # Dissolved agencies' dossiers that arrived after the supersession, or whose date came.
        published += await hand_over_all(self.processing, self.announcements)
        return published

    async def _running(self, query: dict[str, Any]) -> list[Dossier]:
        """The running dossiers matching `query` (one equality per status, served by the (status,
        due_at) index: FerretDB 1.24 scans the whole collection for `$in`)."""
        return await self.processing.dossiers.find_each({"status": sorted(s.value for s in RUNNING_STATUSES)}, query)

    async def _supplements_and_results(self, now: datetime) -> list[ev.DossierEvent]:
        waiting = DossierStatus.SUPPLEMENT_REQUESTED.value
        remind_until = self.processing.calendar.add(now, self.supplement_reminder_ahead)
        found: list[tuple[Dossier, str]] = []
        for dossier in await self.processing.dossiers.find(
            {"status": waiting, "supplement_respond_by": {"$lte": now}, "supplement_expired_at": None}
        ):
            found.append((dossier, SUPPLEMENT_EXPIRED))
        for dossier in await self.processing.dossiers.find(
            {
                "status": waiting,
                "supplement_respond_by": {"$gt": now, "$lte": remind_until},
                "supplement_reminded_at": None,
            }
        ):
            found.append((dossier, SUPPLEMENT_DUE_SOON))
        # A working day is at least 8 hours of the calendar: nothing ready later than this can be due yet.
        for dossier in await self.processing.dossiers.find(
            {
                "status": DossierStatus.RESULT_READY.value,
                "uncollected_at": None,
                "result_at": {"$lte": now - self.uncollected_after},
            }
        ):
            found.append((dossier, UNCOLLECTED))
        wanted = [
            (dossier.dossier_id, kind if kind == UNCOLLECTED else f"{kind}:{dossier.supplement_request_id}")
            for dossier, kind in found
        ]
        return await self._announce_all(wanted, now)

    async def _announce_all(self, wanted: list[tuple[str, str]], now: datetime) -> list[ev.DossierEvent]:
        """Announce each (dossier id, kind) once, `ANNOUNCE_CHUNK` dossiers at a time (one dossier
        appears once in `wanted`: the kinds of one query exclude each other)."""
        published: list[ev.DossierEvent] = []
        for first in range(0, len(wanted), ANNOUNCE_CHUNK):
            published += await self._announce_chunk(wanted[first : first + ANNOUNCE_CHUNK], now)
        return published

    async def _announce_chunk(self, wanted: list[tuple[str, str]], now: datetime) -> list[ev.DossierEvent]:
        """The steps of one announcement, each done for the chunk together: read the dossiers, claim
        (one unordered insert), publish (sends in flight together, each awaited), fold the published
        ones in one batch, then mark their claims. A crash or a failed send between claim and mark
        leaves those claims `publishing`, taken over after the lease, as for one announcement."""
        # The view may trail the log by a change: decide on each dossier's newest state.
        dossiers = await self.processing.dossiers.get_many([i for i, _ in wanted])
        candidates = [
            (event, kind)
            for dossier_id, kind in wanted
            if (dossier := dossiers.get(dossier_id)) is not None
            and (event := self._event(dossier, kind, now)) is not None
        ]
        won = await self.announcements.claim_many(candidates)
        claimed = [event for event, _ in candidates if str(event.event_id) in won]
        sent = await asyncio.gather(*(self._send(event) for event in claimed))
        published = [event for event, ok in zip(claimed, sent, strict=True) if ok]
        await self._fold_and_mark(published)
        return published

    def _event(self, dossier: Dossier, kind: str, now: datetime) -> ev.DossierEvent | None:
        if (
            kind.startswith(f"{SUPPLEMENT_DUE_SOON}:")
            or kind.startswith(f"{SUPPLEMENT_EXPIRED}:")
            or kind == UNCOLLECTED
        ):
            return self._waiting_event(dossier, kind, now)
        if not dossier.clock_running or dossier.due_at is None or dossier.overdue_at is not None:
            return None
        event_id = announcement_id(dossier.dossier_id, kind)
        source = self.processing.source
        if kind == OVERDUE and dossier.due_at <= now:
            # Business time: the dossier became overdue at its due time, however late the clock noticed.
            return ev.DossierOverdue(
                event_id=event_id,
                occurred_at=dossier.due_at,
                source=source,
                dossier_id=dossier.dossier_id,
                data=ev.OverdueData(due_at=dossier.due_at),
            )
        if kind == DUE_SOON and dossier.due_soon_at is None and dossier.due_at > now:
            remaining = remaining_working_time(self.processing.calendar, dossier.due_at, now)
            hours = (Decimal(remaining.total_seconds()) / 3600).quantize(Decimal("0.01"))
            return ev.DossierDueSoon(
                event_id=event_id,
                occurred_at=now,
                source=source,
                dossier_id=dossier.dossier_id,
                data=ev.DueSoonData(due_at=dossier.due_at, remaining_working_hours=hours),
            )
        return None

    def _waiting_event(self, dossier: Dossier, kind: str, now: datetime) -> ev.DossierEvent | None:
        """The announcements about what waits for the applicant: papers asked for, a result to collect."""
        event_id = announcement_id(dossier.dossier_id, kind)
        common = {"event_id": event_id, "source": self.processing.source, "dossier_id": dossier.dossier_id}
        if kind == UNCOLLECTED:
            if (
                dossier.status is not DossierStatus.RESULT_READY
                or dossier.result_at is None
                or dossier.uncollected_at is not None
            ):
                return None
            since = self.processing.calendar.add(dossier.result_at, self.uncollected_after)
            if since > now:
                return None
            days = (Decimal(self.uncollected_after.total_seconds()) / (8 * 3600)).normalize()
            return ev.DossierResultUncollected(
                occurred_at=since,
                **common,
                data=ev.ResultUncollectedData(ready_at=dossier.result_at, after_working_days=days),
            )
        respond_by = dossier.supplement_respond_by
        if (
            dossier.status is not DossierStatus.SUPPLEMENT_REQUESTED
            or respond_by is None
            or not kind.endswith(f":{dossier.supplement_request_id}")
            or dossier.supplement_expired_at is not None
        ):
            return None  # the papers came, or another request replaced this one
        if kind.startswith(SUPPLEMENT_EXPIRED) and respond_by <= now:
            # Business time: the time ran out at respond_by, however late the clock noticed.
            return ev.DossierSupplementExpired(
                occurred_at=respond_by, **common, data=ev.SupplementExpiredData(respond_by=respond_by)
            )
        if kind.startswith(SUPPLEMENT_DUE_SOON) and respond_by > now and dossier.supplement_reminded_at is None:
            remaining = self.processing.calendar.working_time_between(now, respond_by)
            hours = (Decimal(remaining.total_seconds()) / 3600).quantize(Decimal("0.01"))
            return ev.DossierSupplementDueSoon(
                occurred_at=now,
                **common,
                data=ev.SupplementDueSoonData(respond_by=respond_by, remaining_working_hours=hours),
            )
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
        if not await self._send(event):
            return False
        await self._fold_and_mark([event])
        return True

    async def _send(self, event: ev.DossierEvent) -> bool:
        """Whether the broker acknowledged `event`."""
        try:
            await self.processing.publisher.publish(event)
        except BrokerUnavailable:
            return False  # the claim stays `publishing`; it is taken over once its lease runs out
        return True

    async def _fold_and_mark(self, published: list[ev.DossierEvent]) -> None:
        """Fold what the broker acknowledged into processing's own store, then mark the claims."""
        if not published:
            return
        await self.processing.dossiers.apply_many(published)
        await asyncio.gather(*(self.announcements.mark_published(str(e.event_id)) for e in published))
        for event in published:
            log.info(
                "announced %s for dossier %s",
                event.event_type,
                event.dossier_id,
                extra={"event_id": str(event.event_id), "dossier_id": event.dossier_id},
            )


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
