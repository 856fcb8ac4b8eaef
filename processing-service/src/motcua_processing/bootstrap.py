"""The one place where processing is wired: settings -> store, broker, publisher, calendar, clock, app."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from motcua_shared import events as ev
from motcua_shared.api import serve_asyncapi
from motcua_shared.catalogue import CatalogueStore
from motcua_shared.idempotency import IdempotencyStore
from motcua_shared.observability.asyncapi import document_publication
from motcua_shared.service import build_app, deciding_infrastructure, started

from .adapters.announcements import AnnouncementStore
from .adapters.dossier_store import DossierStore
from .adapters.publishing import EventPublisher
from .api.errors import install_action_error_handlers
from .api.routes import actions, dossiers
from .config import Settings
from .consumers import register_consumers
from .domain.deadlines import WorkingCalendar
from .service_layer.clock import Clock, run_clock
from .service_layer.unit import Processing, province_now

DESCRIPTION = """\
Where dossiers are handled: each dossier's status and full history folded from `dossier.events`
(whoever published them), its due time in legal working time, officers' actions, inboxes, and the
clock that announces `dossier.due_soon` and `dossier.overdue` once per dossier, and (issue 18) once per
supplement request `dossier.supplement_due_soon` and `dossier.supplement_expired`, and once per result
`dossier.result_uncollected`.

**Who may call what** (bearer tokens): actions: an `officer` of the dossier's agency; reading a
dossier and inboxes: an `officer` of the agency, or an `official`/`admin` (every agency unless their
token is scoped to one).

Every action answers the dossier as it is after the action; 409 `illegal_transition` gives the
current status; 503 `broker_unavailable` means nothing was done (retry). Every action takes an optional
**Idempotency-Key** header (scoped to the officer): a retry with the same key and body answers the first
answer and publishes nothing new; the same key with another body is 409 `idempotency_key_reused`.

Processing's view is folded from `dossier.events`. Before answering 404 for a dossier it does not know,
or refusing an action (404, 403, 409), it waits a few seconds at most (`MOTCUA_PROCESSING_VIEW_WAIT_SECONDS`)
for the view to fold what was published before the request, then looks again: 503 `view_behind` with
Retry-After while it is still behind. A dossier's answer says in `as_of` how current it is.
"""


# What processing publishes (everything but what only the applicant's side does), for AsyncAPI.
PROCESSING_EVENTS = tuple(
    t for t in ev.DOSSIER_EVENT_TYPES if t not in (ev.DossierSubmitted, ev.DossierWithdrawn, ev.DossierRated)
)


def default_calendar() -> WorkingCalendar:
    from motcua_shared.calendar import load_calendar

    calendar: WorkingCalendar = load_calendar()
    return calendar


def create_app(
    settings: Settings,
    *,
    calendar: WorkingCalendar | None = None,
    now: Callable[[], datetime] = province_now,
) -> FastAPI:
    """The processing app; its lifespan connects the store and the broker, starts the consumers and
    the clock. `now` replaces the business clock in tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with deciding_infrastructure(app, settings) as infra:
            db, broker = infra.db, infra.broker
            working_calendar = calendar or default_calendar()
            processing = Processing(
                source=settings.service_name,
                topics=settings.topics,
                dossiers=DossierStore(db, working_calendar, source=settings.service_name),
                catalogue=CatalogueStore(db, today=lambda: now().date()),
                publisher=EventPublisher(infra.publisher, settings.topics.dossier_events),
                calendar=working_calendar,
                freshness=infra.freshness,
                view_wait_seconds=settings.view_wait_seconds,
                retry_after_seconds=settings.retry_after_seconds,
                now=now,
                supplement_working_days=settings.supplement_working_days,
                due_soon_ahead=timedelta(hours=settings.due_soon_working_hours),
                claims=AnnouncementStore(db, lease=timedelta(seconds=settings.announcement_lease_seconds)),
            )
            assert processing.claims is not None
            clock = Clock(
                processing,
                processing.claims,
                due_soon_ahead=timedelta(hours=settings.due_soon_working_hours),
                supplement_reminder_ahead=timedelta(hours=8 * settings.supplement_reminder_working_days),
                uncollected_after=timedelta(hours=8 * settings.uncollected_after_days),
            )
            await processing.dossiers.ensure_indexes()
            await processing.catalogue.ensure_indexes()
            # Officers' actions run once per Idempotency-Key (api/idempotency.py).
            app.state.idempotency = IdempotencyStore(db, lease=timedelta(seconds=settings.idempotency_lease_seconds))
            await app.state.idempotency.ensure_indexes()
            register_consumers(
                broker,
                processing,
                group_id=settings.consumer_group,
                batch_max_records=settings.batch_max_records,
                batch_timeout_ms=settings.batch_timeout_ms,
            )
            document_publication(
                broker,
                settings.topics.dossier_events,
                PROCESSING_EVENTS,
                "Officers' decisions and the clock's announcements (due soon, overdue); keyed by dossier_id.",
            )
            serve_asyncapi(app, broker)
            async with started(broker):
                app.state.processing = processing
                app.state.clock = clock
                ticking = (
                    asyncio.create_task(run_clock(clock, interval=settings.scheduler_interval_seconds))
                    if settings.scheduler_enabled
                    else None
                )
                try:
                    yield
                finally:
                    if ticking is not None:
                        ticking.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await ticking

    app = build_app(settings, description=DESCRIPTION, lifespan=lifespan, routers=[actions.router, dossiers.router])
    install_action_error_handlers(app)
    return app
