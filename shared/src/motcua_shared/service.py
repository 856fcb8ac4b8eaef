"""One way to build a service's app and run it: the settings read at the entry point (with logging and
tracing), the app with its token verifier and routers, the store and brokers its lifespan opens and
closes, and the readiness checks on them. Each service's `bootstrap.py` says only what is its own."""

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from .api import create_app
from .auth import TokenVerifier
from .freshness import ViewFreshness
from .heap import frozen_after_startup
from .kafka import make_broker
from .logs import setup_logging
from .mongo import make_mongo_client
from .observability.readiness import (
    add_degradation_check,
    add_readiness_check,
    consumer_lag_check,
    kafka_check,
    store_check,
)
from .observability.tracing import configure_tracing
from .publishing import EventPublisher, make_publishing_broker
from .settings import DecidingServiceSettings, ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
Lifespan = Callable[[FastAPI], Any]


def load_settings(settings_type: type[S]) -> S:
    """The settings from the environment, with the service's JSON logs and tracing set up from them."""
    settings = settings_type()
    setup_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, env_prefix=str(settings_type.model_config.get("env_prefix", "")))
    return settings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` on the settings' host and port (uvicorn's own logging off: ours is JSON), its heap
    frozen once started (motcua_shared.heap says why)."""
    app.router.lifespan_context = frozen_after_startup(app.router.lifespan_context)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None)


def run(settings_type: type[S], create: Callable[[S], FastAPI]) -> None:
    """An entry point that only serves: read the settings, build the app, serve it."""
    settings = load_settings(settings_type)
    serve(create(settings), settings)


def token_verifier(settings: ServiceSettings) -> TokenVerifier:
    return TokenVerifier(
        secret=settings.jwt_secret.get_secret_value(),
        jwks_url=settings.jwt_jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def build_app(
    settings: ServiceSettings, *, description: str, lifespan: Lifespan, routers: Iterable[APIRouter]
) -> FastAPI:
    """The service's app: the shared HTTP surface (motcua_shared.api), its bearer-token verifier and
    its routers; `lifespan` connects and closes what it needs."""
    app = create_app(title=f"motcua {settings.service_name}", description=description, lifespan=lifespan)
    app.state.token_verifier = token_verifier(settings)
    for router in routers:
        app.include_router(router)
    return app


@asynccontextmanager
async def open_store(
    app: FastAPI, settings: ServiceSettings
) -> AsyncIterator[tuple[AsyncMongoClient[Any], AsyncDatabase[Any]]]:
    """The service's client and database, checked by /ready ("store"), closed at the end."""
    mongo = make_mongo_client(
        settings.mongodb_url, max_pool_size=settings.mongodb_max_pool_size, app_name=settings.service_name
    )
    add_readiness_check(app, "store", store_check(mongo))
    try:
        yield mongo, mongo[settings.mongodb_database]
    finally:
        await mongo.close()


def consuming_broker(settings: ServiceSettings) -> KafkaBroker:
    """The broker the service consumes (and, for notification, publishes) with."""
    return make_broker(settings.kafka_bootstrap_servers, client_id=settings.service_name)


@asynccontextmanager
async def started(
    broker: KafkaBroker, *, consume: bool = True, checked_by: FastAPI | None = None
) -> AsyncIterator[KafkaBroker]:
    """The broker started (its subscribers consuming) or, without `consume`, only connected; stopped at
    the end. With `checked_by`, that app's /ready checks it ("kafka")."""
    if checked_by is not None:
        add_readiness_check(checked_by, "kafka", kafka_check(broker))
    if consume:
        await broker.start()
    else:
        await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


@asynccontextmanager
async def publishing_side(
    app: FastAPI, settings: DecidingServiceSettings
) -> AsyncIterator[tuple[KafkaBroker, ViewFreshness]]:
    """What a service that decides on its folded view of the dossiers and publishes its decisions needs
    (intake, processing): the publishing broker (motcua_shared.publishing says why it is its own),
    checked by /ready ("kafka"), and the freshness of the view of `dossier.events` and `catalog.events`,
    whose lag makes /ready say `degraded` above `ready_max_lag`."""
    publishing = make_publishing_broker(
        settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-publisher",
        request_timeout_ms=int(settings.publish_timeout_seconds * 1000),
    )
    freshness = ViewFreshness(
        settings.kafka_bootstrap_servers,
        settings.consumer_group,
        [settings.topics.dossier_events, settings.topics.catalog_events],
    )
    prefix = str(type(settings).model_config.get("env_prefix", ""))
    add_readiness_check(app, "kafka", kafka_check(publishing))
    add_degradation_check(
        app,
        "consumer_lag",
        consumer_lag_check(freshness.lag, max_lag=settings.ready_max_lag, setting=f"{prefix}READY_MAX_LAG".upper()),
    )
    await publishing.connect()
    try:
        await freshness.start()
        try:
            yield publishing, freshness
        finally:
            await freshness.close()
    finally:
        await publishing.stop()


@dataclass(frozen=True)
class DecidingInfrastructure:
    """What intake's and processing's lifespans wire their use cases to."""

    db: AsyncDatabase[Any]
    publisher: EventPublisher  # decisions go out with it
    freshness: ViewFreshness
    broker: KafkaBroker  # the consumers' broker, to be `started` once they are registered


@asynccontextmanager
async def deciding_infrastructure(
    app: FastAPI, settings: DecidingServiceSettings
) -> AsyncIterator[DecidingInfrastructure]:
    """The store and the publishing side open (and closed at the end, in reverse), the consumers' broker
    made."""
    async with open_store(app, settings) as (_, db), publishing_side(app, settings) as (publishing, freshness):
        # The guard outlasts the producer's own timeout so that the producer decides (and drops).
        publisher = EventPublisher(
            publishing, settings.kafka_bootstrap_servers, timeout=settings.publish_timeout_seconds + 5
        )
        yield DecidingInfrastructure(db, publisher, freshness, consuming_broker(settings))
