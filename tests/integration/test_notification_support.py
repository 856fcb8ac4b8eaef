"""Helpers for notification's tests (imported by the test_notification_* modules; no tests here):
a real local SMTP server (aiosmtpd) and a real local HTTP receiver (SMS gateway, webhooks) on free
ports, a notification app on a test's own topics and database, and dossier events to publish."""

import asyncio
import email
import email.policy
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from motcua_notification.bootstrap import create_app
from motcua_notification.config import Settings
from motcua_shared import events as ev
from motcua_shared.auth import Role, mint_token
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from support.infrastructure import Infrastructure

SECRET = "notification-integration-test-secret-of-32-bytes"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(role: Role, *, agency: str | None = None) -> dict[str, str]:
    value = mint_token(SECRET, role, subject=f"test-{role.value}", agency_code=agency)
    return {"Authorization": f"Bearer {value}"}


# --- a real SMTP server ---------------------------------------------------------------------------


class _Collect:
    def __init__(self, inbox: list[EmailMessage]) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.inbox.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    port: int
    inbox: list[EmailMessage]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.inbox if m["To"] == address]


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """aiosmtpd on a free port of 127.0.0.1 (in its own thread), collecting what it receives."""
    inbox: list[EmailMessage] = []
    port = free_port()
    controller = Controller(_Collect(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSink(port, inbox)
    finally:
        controller.stop()


# --- a real HTTP receiver ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every request; answers from `script[path]` (statuses, consumed in order), then 200,
    after `delay[path]` seconds (a slow gateway)."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str, *, ok: bool = True) -> list[Received]:
        return [r for r in self.requests if r.path == path and (not ok or r.status < 300)]

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender died mid-request (a killed notification): nothing whole arrived
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"]
        statuses = self.script.get(path) or []
        status = statuses.pop(0) if statuses else 200
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(path, headers, body, status))
        if self.delay.get(path):
            await asyncio.sleep(self.delay[path])
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": b'{"ok": %s}' % (b"true" if status < 300 else b"false")})


@asynccontextmanager
async def http_receiver() -> AsyncIterator[HttpReceiver]:
    receiver = HttpReceiver(port=free_port())
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=receiver.port, log_config=None, lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await serving


# --- the app --------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session", name="topics")
async def own_topics(infrastructure: Infrastructure, run_id: str) -> AsyncIterator[Topics]:
    """Topics of one test alone, so that its notification app reads only this test's events."""
    own = Topics(f"test-{run_id}-n{uuid.uuid4().hex[:8]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1) for name in own.all()])
    finally:
        await admin.close()
    yield own


def notification_settings(
    infra: Infrastructure, database: str, topics: Topics, *, smtp_port: int, sms_url: str, **overrides: Any
) -> Settings:
    """Short backoff and a fast dispatcher: the tests' retries take fractions of a second."""
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "mongodb_url": infra.mongodb_url,
        "mongodb_database": database,
        "topic_prefix": topics.prefix,
        "consumer_group": f"notification-test-{uuid.uuid4().hex[:8]}",
        "jwt_secret": SECRET,
        "smtp_port": smtp_port,
        "sms_gateway_url": sms_url,
        "retry_base_seconds": 0.2,
        "retry_cap_seconds": 1.0,
        "max_attempts": 5,
        "dispatcher_interval_seconds": 0.2,
        "send_timeout_seconds": 5.0,
        "sms_quiet_start": "23:59:59",
        "sms_quiet_end": "23:59:59",
        **overrides,
    }
    return Settings(**values)


@asynccontextmanager
async def running_notification(settings: Settings, **options: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings, **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notification") as client:
            yield app, client


async def eventually(check: Callable[[], Any], *, wait: float = 30.0) -> Any:
    """Poll `check` (sync or async) until it returns a truthy value, or give up and return the last one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(0.1)


# --- events ---------------------------------------------------------------------------------------


async def publish(bootstrap: str, topic: str, events: list[ev.Envelope]) -> None:
    broker = make_broker(bootstrap, client_id="notification-test-producer")
    await broker.connect()
    try:
        for event in events:
            key = getattr(event, "dossier_id", None) or getattr(event.data, "agency_code", "catalogue")
            await broker.publish(event.to_bytes(), topic=topic, key=str(key).encode())
    finally:
        await broker.stop()


async def dead_letters(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of `topic`'s dead-letter topic (`<topic>.dlq`): read until one came, then once more
    for any that should not be there (at most about 9 s)."""
    consumer = AIOKafkaConsumer(
        f"{topic}.dlq",
        group_id=None,
        auto_offset_reset="earliest",
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        for _ in range(30):
            batches = await consumer.getmany(timeout_ms=300)
            records += [r for batch in batches.values() for r in batch]
            if records and not batches:
                break
    finally:
        await consumer.stop()
    return records


@dataclass
class Dossier:
    """A dossier's events, each stamped `at` (default: now), as intake and processing publish them."""

    agency: str = field(default_factory=lambda: f"N{uuid.uuid4().hex[:6].upper()}")
    dossier_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    full_name: str = "Nguyễn Thị Hoa"
    email: str | None = None
    phone: str | None = None
    language: str | None = None

    @property
    def code(self) -> str:
        return f"{self.agency}-261123-{int(self.dossier_id[:4], 16) % 10000:04d}"

    def _event(self, cls: type[Any], data: Any, at: datetime | None) -> Any:
        return cls(occurred_at=at or datetime.now(UTC), source="test", dossier_id=self.dossier_id, data=data)

    def submitted(self, at: datetime | None = None) -> ev.DossierSubmitted:
        applicant = ev.Applicant(
            full_name=self.full_name, email=self.email, phone=self.phone, preferred_language=self.language
        )  # type: ignore[arg-type]
        return self._event(
            ev.DossierSubmitted,
            ev.SubmittedData(
                dossier_code=self.code,
                procedure_code=f"{self.agency}.001",
                agency_code=self.agency,
                channel=ev.Channel.ONLINE,
                applicant=applicant,
            ),
            at,
        )

    def accepted(self, due_at: datetime, at: datetime | None = None) -> ev.DossierAccepted:
        return self._event(ev.DossierAccepted, ev.AcceptedData(due_at=due_at), at)

    def supplement_requested(self, reason: str, items: list[str]) -> ev.DossierSupplementRequested:
        return self._event(ev.DossierSupplementRequested, ev.SupplementRequestedData(reason=reason, items=items), None)

    def supplement_received(self, due_at: datetime) -> ev.DossierSupplementReceived:
        return self._event(ev.DossierSupplementReceived, ev.SupplementReceivedData(due_at=due_at), None)

    def payment_requested(self, amount: int) -> ev.DossierPaymentRequested:
        return self._event(ev.DossierPaymentRequested, ev.PaymentRequestedData(amount=amount), None)  # type: ignore[arg-type]

    def refused(self, reason: str) -> ev.DossierRefused:
        return self._event(ev.DossierRefused, ev.RefusedData(reason=reason), None)

    def due_soon(self, due_at: datetime) -> ev.DossierDueSoon:
        return self._event(ev.DossierDueSoon, ev.DueSoonData(due_at=due_at, remaining_working_hours=4), None)  # type: ignore[arg-type]

    def overdue(self, due_at: datetime) -> ev.DossierOverdue:
        return self._event(ev.DossierOverdue, ev.OverdueData(due_at=due_at), None)

    def apology(self, reason: str, new_due_at: datetime) -> ev.DossierApologyIssued:
        return self._event(ev.DossierApologyIssued, ev.ApologyIssuedData(reason=reason, new_due_at=new_due_at), None)

    def result_ready(self, at: datetime | None = None) -> ev.DossierResultReady:
        return self._event(ev.DossierResultReady, ev.ResultReadyData(result_number="KQ-0042"), at)

    def returned(self) -> ev.DossierReturned:
        return self._event(ev.DossierReturned, ev.ReturnedData(delivery=ev.Delivery.DIRECT), None)


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)
