"""The one place where reporting is wired: settings -> store, the use cases, broker, consumers, app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from motcua_shared.api import serve_asyncapi
from motcua_shared.service import build_app, consuming_broker, open_store, started

from .adapters.published_store import PublishedStore
from .api.routes import dashboard, reports, resolution, scorecard
from .config import Settings
from .consumers import register_consumers
from .service_layer.folds import ActiveProjections
from .service_layer.unit import Reporting

DESCRIPTION = """\
The officials' reports, folded from `dossier.events` and `catalog.events` (consumer group `reporting`).
Figures count by business time (`occurred_at`; the result date as CONTRACT.md defines it), calendar
dates in Asia/Ho_Chi_Minh; each event counts once however often it is delivered.

**Who may read**: `official` and `admin` any agency; `officer` their own agency only (without
`agency_code` a report is their agency's; another agency is 403 `forbidden_agency`); others 403.
`agency_code` includes the agencies below it (communes roll up into their district).
"""


def create_app(settings: Settings, *, consume: bool = True) -> FastAPI:
    """The reporting app; its lifespan connects the store, puts the use cases on the app (read by
    api/deps.py) and, unless `consume` is False, starts the consumers. (A claim a crash left
    unfinished is applied by the next fold of its partition.)"""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_store(app, settings) as (_, db):
            app.state.reporting = Reporting(db, PublishedStore(db))
            if not consume:
                yield
                return
            active = ActiveProjections(db, settings)
            await active.get()
            broker = consuming_broker(settings)
            register_consumers(broker, active, settings.topics, settings)
            serve_asyncapi(app, broker)
            async with started(broker, checked_by=app):
                yield

    return build_app(
        settings,
        description=DESCRIPTION,
        lifespan=lifespan,
        routers=[m.router for m in (reports, resolution, scorecard, dashboard)],
    )
