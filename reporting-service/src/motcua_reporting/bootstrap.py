"""The one place where reporting is wired: settings -> store, broker, consumers, app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from motcua_shared.api import create_app as create_base_app
from motcua_shared.api import serve_asyncapi
from motcua_shared.auth import TokenVerifier
from motcua_shared.kafka import make_broker
from motcua_shared.mongo import make_mongo_client
from motcua_shared.observability.readiness import add_readiness_check, kafka_check, store_check

from .api.routes import dashboard, reports, resolution, scorecard
from .config import Settings
from .consumers import ActiveProjections, register_consumers

DESCRIPTION = """\
The officials' reports, folded from `dossier.events` and `catalog.events` (consumer group `reporting`).
Figures count by business time (`occurred_at`; the result date as CONTRACT.md defines it), calendar
dates in Asia/Ho_Chi_Minh; each event counts once however often it is delivered.

**Who may read**: `official` and `admin` any agency; `officer` their own agency only (without
`agency_code` a report is their agency's; another agency is 403 `forbidden_agency`); others 403.
`agency_code` includes the agencies below it (communes roll up into their district).
"""


def create_app(settings: Settings, *, consume: bool = True) -> FastAPI:
    """The reporting app; its lifespan connects the store and (unless `consume` is False) starts the
    consumers. (A claim a crash left unfinished is applied by the next fold of its partition.)"""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = make_mongo_client(settings.mongodb_url, max_pool_size=settings.mongodb_max_pool_size,
                                  app_name=settings.service_name)
        db = mongo[settings.mongodb_database]
        app.state.db = db
        add_readiness_check(app, "store", store_check(mongo))
        broker = None
        if consume:
            active = ActiveProjections(db, settings)
            await active.get()
            broker = make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)
            register_consumers(broker, active, settings.topics, settings)
            serve_asyncapi(app, broker)
            add_readiness_check(app, "kafka", kafka_check(broker))
            await broker.start()
        try:
            yield
        finally:
            if broker is not None:
                await broker.stop()
            await mongo.close()

    app = create_base_app(title="motcua reporting-service", description=DESCRIPTION, lifespan=lifespan)
    app.state.token_verifier = TokenVerifier(
        secret=settings.jwt_secret.get_secret_value(), jwks_url=settings.jwt_jwks_url,
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
    )
    app.include_router(reports.router)
    app.include_router(resolution.router)
    app.include_router(scorecard.router)
    app.include_router(dashboard.router)
    return app
