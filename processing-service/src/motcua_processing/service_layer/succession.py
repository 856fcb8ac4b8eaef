"""The two-level local government (from 1 July 2025): when an agency is dissolved (`agency.superseded`),
its open dossiers pass to the successor. Processing publishes one `dossier.transferred` per open
dossier, so that every consumer (reporting, notification, intake's tracking) sees the new agency.

Once per dossier, across replays, restarts and instances: the transfer's event id is deterministic
(uuid5 of the dossier id and the dissolved agency) and claimed by a unique insert before it is published,
as the clock's announcements are (adapters/announcements.py). A replayed `agency.superseded` finds every
dossier either moved already or its transfer claimed: it changes nothing.

Hand-over happens when the supersession is folded and again on each tick of the clock (a dossier of the
old agency that arrives later, say from an imported history, or a supersession dated in the future).
A dossier whose result is ready is not transferred (the lifecycle allows no transfer then): its old
agency is read through the supersession instead (the successor's officer sees and returns it).
"""

import logging
from datetime import datetime, time

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.catalogue import Succession, handover_event_id
from motcua_shared.lifecycle import PAUSED_STATUSES, RUNNING_STATUSES, DossierStatus
from motcua_shared.publishing import BrokerUnavailable

from ..domain.dossier import Dossier
from .ports import Claims
from .unit import Processing

log = logging.getLogger(__name__)

KIND = "superseded"
# The statuses a transfer is legal in (lifecycle.py).
TRANSFERABLE = frozenset({DossierStatus.SUBMITTED}) | RUNNING_STATUSES | PAUSED_STATUSES
_BATCH = 1000


def handed_over_at(succession: Succession, dossier: Dossier, calendar_start: datetime) -> datetime:
    """Business time of the hand-over: the successor's first working instant on the effective date
    (not midnight, which "the end of the day before" would already see), or the dossier's last change
    if later (a dossier the old agency still handled after the date)."""
    last = dossier.history[-1].when if dossier.history else None
    return max(calendar_start, last) if last is not None else calendar_start


async def hand_over(processing: Processing, claims: Claims, succession: Succession) -> list[ev.DossierEvent]:
    """Transfer the open dossiers of `succession.agency_code` to its successor once the supersession
    is in force; what this call published."""
    if succession.effective_date > processing.now().date():
        return []
    # Never ahead of processing's clock (an effective date that falls on a weekend, say).
    start = min(
        processing.now(),
        processing.calendar.next_working_instant(
            datetime.combine(succession.effective_date, time(0), tzinfo=PROVINCE_TZ)
        ),
    )
    published: list[ev.DossierEvent] = []
    found = await processing.dossiers.find_each(
        {"status": sorted(s.value for s in TRANSFERABLE)}, {"agency_code": succession.agency_code}, limit=_BATCH
    )
    for listed in found:
        dossier = await processing.dossiers.get(listed.dossier_id)  # the view may trail by a change
        if dossier is None or dossier.agency_code != succession.agency_code or dossier.status not in TRANSFERABLE:
            continue
        event = ev.DossierTransferred(
            event_id=handover_event_id(dossier.dossier_id, succession.agency_code),
            occurred_at=handed_over_at(succession, dossier, start),
            source=processing.source,
            dossier_id=dossier.dossier_id,
            data=ev.TransferredData(
                to_agency_code=succession.successor_code,
                reason=succession.reason
                or (
                    f"{succession.agency_code} giải thể từ {succession.effective_date.isoformat()}, "
                    f"{succession.successor_code} tiếp nhận (agency dissolved; its successor takes over)"
                ),
            ),
        )
        if dossier.has_seen(str(event.event_id)) or not await claims.claim(event, KIND):
            continue
        try:
            await processing.publisher.publish(event)
        except BrokerUnavailable:
            continue  # the claim stays `publishing`; the clock publishes it once its lease runs out
        await processing.dossiers.apply(event)
        await claims.mark_published(str(event.event_id))
        published.append(event)
    if published:
        log.info(
            "handed %d dossier(s) of %s over to %s", len(published), succession.agency_code, succession.successor_code
        )
    return published


async def hand_over_all(processing: Processing, claims: Claims) -> list[ev.DossierEvent]:
    """Every supersession in force, handed over (the clock's sweep)."""
    published: list[ev.DossierEvent] = []
    for succession in (await processing.catalogue.in_force(processing.now().date())).values():
        published += await hand_over(processing, claims, succession)
    return published
