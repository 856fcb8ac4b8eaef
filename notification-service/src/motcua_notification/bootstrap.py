"""The one place where notification is wired: settings -> store, broker, channels, notifier,
dispatcher, app."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.api import serve_asyncapi
from motcua_shared.observability.asyncapi import document_publication
from motcua_shared.service import build_app, consuming_broker, open_store, started

from .adapters.deliveries import DeliveryStore
from .adapters.directory import Directory
from .adapters.http_delivery import HttpSmsGateway, HttpWebhookSender
from .adapters.letters import LetterStore
from .adapters.publishing import KafkaOutcomePublisher
from .adapters.smtp import SmtpEmailSender
from .adapters.subscriptions import SubscriptionStore
from .adapters.templates import TemplateStore
from .adapters.zalo import HttpZaloSender
from .api.routes import agencies, letters, notifications, templates, webhooks
from .config import Settings
from .consumers import register_consumers
from .domain.policy import Backoff, QuietHours
from .domain.templates import default_templates
from .domain.zalo import ZaloTemplate, load_zalo_templates
from .service_layer.dispatcher import Dispatcher, run_dispatcher, stop_dispatcher
from .service_layer.notifier import Notifier

DESCRIPTION = """\
Tells applicants and agencies what happens to dossiers: email (SMTP), SMS (an HTTP gateway), Zalo
(ZNS template messages, to applicants who consented at intake) and signed webhooks to integrators,
in Vietnamese or English, each (event, recipient, channel) at most once, with retries, quiet hours
for SMS and a freshness window that keeps old history from anyone.

**Who may call what** (bearer tokens): the history: an `officer` of the dossier's agency, an
`official` or an `admin`; templates, webhook subscriptions and agency contacts: an `admin`.
"""


log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def zalo_templates(settings: Settings) -> dict[str, ZaloTemplate]:
    """The ZNS template table (file, then the variable's entries), checked at start; empty, and so no
    message on Zalo, while no access token is configured."""
    table: dict[str, Any] = {}
    if settings.zalo_templates_file is not None:
        table |= json.loads(settings.zalo_templates_file.read_text(encoding="utf-8"))
    table |= settings.zalo_templates
    templates = load_zalo_templates(table)
    if settings.zalo_access_token is None:
        if templates:
            log.warning("Zalo templates are configured but no access token: nothing is sent on Zalo")
        return {}
    if not templates:
        log.warning("a Zalo access token is configured but no template: nothing is sent on Zalo")
    return templates


def create_app(settings: Settings, *, now: Callable[[], datetime] = wall_clock, consume: bool = True) -> FastAPI:
    """The notification app; its lifespan connects the store and the broker, starts the consumers and
    the dispatcher. `now` replaces the business clock (freshness, quiet hours, due times) in tests."""

    zalo = zalo_templates(settings)  # a wrong table stops the start, not a send

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker = consuming_broker(settings)
        async with (
            open_store(app, settings) as (_, db),
            httpx.AsyncClient(timeout=settings.send_timeout_seconds) as http,
        ):
            notifier, dispatcher, wake = await wire(db, broker, http)
            document_publication(
                broker,
                settings.topics.notification_events,
                ev.NOTIFICATION_EVENT_TYPES,
                "What became of each notification (sent, delivered, failed); keyed by notification id.",
            )
            serve_asyncapi(app, broker)
            if consume:
                register_consumers(broker, notifier, settings)
            async with started(broker, consume=consume, checked_by=app):
                app.state.notifier = notifier
                app.state.dispatcher = dispatcher
                sending = (
                    asyncio.create_task(run_dispatcher(dispatcher, wake, interval=settings.dispatcher_interval_seconds))
                    if settings.dispatcher_enabled
                    else None
                )
                try:
                    yield
                finally:
                    if sending is not None:
                        await stop_dispatcher(dispatcher, sending, wake, grace=settings.send_timeout_seconds + 5)

    async def wire(db: Any, broker: KafkaBroker, http: httpx.AsyncClient) -> tuple[Notifier, Dispatcher, asyncio.Event]:
        """The notifier (what each event calls for) and the dispatcher (sending it), on one wake-up event."""
        quiet_hours = QuietHours(settings.sms_quiet_start, settings.sms_quiet_end, ZoneInfo(settings.timezone))
        wake = asyncio.Event()
        deliveries, letter_store = DeliveryStore(db), LetterStore(db)
        subscriptions = SubscriptionStore(db)
        notifier = Notifier(
            directory=Directory(db),
            deliveries=deliveries,
            templates=TemplateStore(db, default_templates()),
            subscriptions=subscriptions,
            letters=letter_store,
            freshness=timedelta(hours=settings.freshness_hours),
            quiet_hours=quiet_hours,
            sms_without_diacritics=settings.sms_without_diacritics,
            portal_url=settings.portal_url,
            now=now,
            wake=wake.set,
            zalo_templates=zalo,
        )
        dispatcher = Dispatcher(
            deliveries=deliveries,
            letters=letter_store,
            subscriptions=subscriptions,
            email=SmtpEmailSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.mail_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                use_tls=settings.smtp_use_tls,
                start_tls=settings.smtp_start_tls,
                timeout=settings.send_timeout_seconds,
            ),
            sms=HttpSmsGateway(
                http,
                url=settings.sms_gateway_url,
                sender=settings.sms_sender_id,
                token=settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else None,
            ),
            webhooks=HttpWebhookSender(http),
            zalo=HttpZaloSender(
                http, url=settings.zalo_api_url, access_token=settings.zalo_access_token.get_secret_value()
            )
            if settings.zalo_access_token
            else None,
            publisher=KafkaOutcomePublisher(broker, settings.topics.notification_events),
            backoff=Backoff(
                timedelta(seconds=settings.retry_base_seconds),
                timedelta(seconds=settings.retry_cap_seconds),
                settings.max_attempts,
            ),
            quiet_hours=quiet_hours,
            send_timeout=timedelta(seconds=settings.send_timeout_seconds),
            lease=timedelta(seconds=settings.sending_lease_seconds),
            source=settings.service_name,
            now=now,
        )
        await deliveries.ensure_indexes()
        return notifier, dispatcher, wake

    return build_app(
        settings,
        description=DESCRIPTION,
        lifespan=lifespan,
        routers=[m.router for m in (notifications, templates, webhooks, agencies, letters)],
    )
