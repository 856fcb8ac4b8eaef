"""The one place where intake is wired: settings -> broker, store, views, publisher, calendar, app."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.api import serve_asyncapi
from motcua_shared.catalogue import CatalogueStore
from motcua_shared.idempotency import IdempotencyStore
from motcua_shared.observability.asyncapi import document_publication
from motcua_shared.service import build_app, deciding_infrastructure, started

from .adapters.catalogue_snapshot import CatalogueSnapshot
from .adapters.dossier_store import DossierStore
from .adapters.failed_attempts import FailedAttempts
from .api.routes import catalogue, dossiers, supersession, tracking, tracking_page
from .config import Settings
from .consumers import register_consumers
from .service_layer.unit import Intake, WorkingCalendar, utc_now

DESCRIPTION = """\
The front door of the one-stop centre: the procedure catalogue, dossiers received at the counter,
by post or online, the applicant's follow-up actions, and public tracking. Every change is an event
on Kafka (`dossier.events`, `catalog.events`); a 2xx means the broker acknowledged it, a 503
`broker_unavailable` (with Retry-After) means nothing was reported done: retry with the same
Idempotency-Key.

**Who may call what** (bearer tokens):
- catalogue writes: `admin`; catalogue reads and tracking: anyone (failed tracking attempts are
  limited per dossier code and per client: 429 `too_many_attempts` with Retry-After);
- `direct` dossiers: an `officer` of the agency; `postal`: an `officer` of the agency or the postal
  service's system (`integrator`); `online`: the `applicant` or the portal (`integrator`);
- supplements, withdrawal, rating: the `applicant` or the portal, proving ownership with the phone
  given at submission (a wrong phone gets the same 404 `dossier_not_found` as an unknown code);
- payment callback: the payment platform (`integrator`).

Actions and tracking are decided on intake's view of the dossier, folded from `dossier.events`, once it
has folded every event published before the request (a few seconds at most, `MOTCUA_INTAKE_VIEW_WAIT_SECONDS`);
while it has not, an action is answered 503 `view_behind` with Retry-After, never a 409 or 404 that is
only the view's lag. Tracking says in `as_of` how current its answer is.

**Idempotency-Key** is required on every POST (scoped to the caller).

Applicants track their dossier on the page `/track?code=…` (HTML, Vietnamese and English), which every
receipt links to as `tracking_url`.
"""


def default_calendar() -> WorkingCalendar:
    """The shared working-time calendar."""
    from .calendar_port import shared_calendar

    return shared_calendar()


INTAKE_DOSSIER_EVENTS = (
    ev.DossierSubmitted,
    ev.DossierAccepted,
    ev.DossierSupplementReceived,
    ev.DossierPaymentCompleted,
    ev.DossierWithdrawn,
    ev.DossierRated,
)


def document_publications(broker: KafkaBroker, settings: Settings) -> None:
    """What intake publishes, for its AsyncAPI document."""
    document_publication(
        broker,
        settings.topics.dossier_events,
        INTAKE_DOSSIER_EVENTS,
        "Dossiers received (counter and postal ones accepted in the same batch) and the "
        "applicant's actions; keyed by dossier_id.",
    )
    document_publication(
        broker,
        settings.topics.catalog_events,
        ev.CATALOG_EVENT_TYPES,
        "The procedure catalogue; keyed by agency_code or procedure_code.",
    )


def create_app(
    settings: Settings, *, calendar: WorkingCalendar | None = None, now: Callable[[], datetime] | None = None
) -> FastAPI:
    """The intake app; its lifespan connects the store and the broker and starts the consumers.
    `now` replaces the business clock of receipts in tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with deciding_infrastructure(app, settings) as infra:
            db, broker = infra.db, infra.broker
            working_calendar = calendar or default_calendar()  # the view moves appointments with it too
            intake = Intake(
                source=settings.service_name,
                topics=settings.topics,
                catalogue=CatalogueSnapshot(CatalogueStore(db)),
                dossiers=DossierStore(db, working_calendar),
                idempotency=IdempotencyStore(db, lease=timedelta(seconds=settings.idempotency_lease_seconds)),
                publisher=infra.publisher,
                calendar=working_calendar,
                phone_hash_key=settings.phone_hash_secret.get_secret_value().encode(),
                retry_after_seconds=settings.retry_after_seconds,
                tracking_attempts=FailedAttempts(
                    per_code=settings.tracking_failures_per_code,
                    per_client=settings.tracking_failures_per_client,
                    window_seconds=settings.tracking_window_seconds,
                ),
                public_base_url=settings.public_base_url,
                freshness=infra.freshness,
                view_wait_seconds=settings.view_wait_seconds,
                now=now or utc_now,
            )
            await intake.catalogue.ensure_indexes()
            await intake.dossiers.ensure_indexes()
            await intake.idempotency.ensure_indexes()
            register_consumers(broker, intake, group_id=settings.consumer_group, recall=infra.publisher.recent.recall)
            document_publications(broker, settings)
            serve_asyncapi(app, broker)
            async with started(broker):
                app.state.intake = intake
                yield

    return build_app(
        settings,
        description=DESCRIPTION,
        lifespan=lifespan,
        routers=[m.router for m in (catalogue, supersession, dossiers, tracking, tracking_page)],
    )
