"""Zalo as a channel (issue 18 item 9): an applicant who consents at intake is told on Zalo by ZNS
template messages through Zalo's official API, with the template's parameters filled from our
placeholders; one who does not is not. Zalo's transient errors are retried until it takes the
message, its permanent ones end in `notification.failed` with the reason, and a redelivered event
sends nothing again. Through intake's API, the real broker and store, and a local HTTP server
answering as Zalo's ZNS endpoint does (`{"error", "message", "data": {"msg_id"}}`)."""

import asyncio
import json
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from motcua_notification.domain.context import format_datetime
from motcua_shared.auth import Role
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_intake_support import (
    Record,
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    read_records,
    running_intake,
)
from test_intake_support import seed_catalogue as seed_intake_catalogue
from test_intake_support import token as intake_token
from test_notification_support import (
    eventually,
    free_port,
    http_receiver,
    notification_settings,
    own_topics,
    running_notification,
    smtp_sink,
    token,
)

topics = own_topics
ACCESS_TOKEN = "test-oa-access-token"
RECEIVED_ID, ACCEPTED_ID = "305001", "305002"
ZALO_TEMPLATES = {
    "applicant.received": {
        "template_id": RECEIVED_ID,
        "parameters": {"ten_nguoi_nop": "applicant_name", "ma_ho_so": "dossier_code", "hinh_thuc": "channel"},
    },
    "applicant.accepted": {
        "template_id": ACCEPTED_ID,
        "parameters": {
            "customer_name": {"placeholder": "applicant_name", "max_length": 30},
            "ma_ho_so": "dossier_code",
            "ngay_hen_tra": "appointment_date",
        },
    },
}


@dataclass
class ZaloApi:
    """Zalo's ZNS endpoint on a free local port: records every request and answers, for each
    (phone, template_id), the error codes of `script` in turn, then success with a msg_id."""

    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/message/template"

    def to(self, phone: str, template_id: str | None = None) -> list[dict[str, Any]]:
        return [
            r for r in self.requests if r["body"]["phone"] == phone and template_id in (None, r["body"]["template_id"])
        ]

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        raw, more = b"", True
        while more:
            message = await receive()
            raw, more = raw + message.get("body", b""), message.get("more_body", False)
        body = json.loads(raw)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        errors = self.script.get((body["phone"], body["template_id"])) or []
        code = errors.pop(0) if errors else 0
        answer: dict[str, Any] = {"error": code, "message": MESSAGES.get(code, "Success" if code == 0 else "?")}
        if code == 0:
            answer["data"] = {"msg_id": uuid.uuid4().hex, "sent_time": "1764633600000"}
        self.requests.append({"path": scope["path"], "headers": headers, "body": body, "error": code})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


MESSAGES = {-100: "Unknown error", -124: "Access token invalid", -118: "Zalo account not existed"}


@asynccontextmanager
async def zalo_api() -> AsyncIterator[ZaloApi]:
    api = ZaloApi()
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=api.port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield api
    finally:
        server.should_exit = True
        await serving


@dataclass(frozen=True)
class Applicant:
    phone: str  # as typed at the counter
    zns_phone: str  # as Zalo takes it
    consent: bool | None


CONSENTS = Applicant("0912 000 101", "84912000101", True)
REFUSES = Applicant("0912000102", "84912000102", False)
SILENT = Applicant("0912000103", "84912000103", None)  # says nothing: no consent
FLAKY = Applicant("+84 912 000 104", "84912000104", True)  # Zalo fails twice, then takes it
NO_ZALO = Applicant("0912000105", "84912000105", True)  # the number has no Zalo account


async def submit(intake: httpx.AsyncClient, agency: str, applicant: Applicant) -> dict[str, Any]:
    body = dossier_body(f"{agency}.001", agency, "direct", phone=applicant.phone)
    if applicant.consent is not None:
        body["applicant"]["zalo_consent"] = applicant.consent
    answer = await intake.post("/v1/dossiers", headers=idem(intake_token(Role.OFFICER, agency=agency)), json=body)
    assert answer.status_code == 201, answer.text
    receipt: dict[str, Any] = answer.json()
    return receipt


async def outcomes(
    bootstrap: str, topic: str, codes: set[str], *, until: Callable[[list[Record]], bool]
) -> list[dict[str, Any]]:
    records = await read_records(
        bootstrap,
        topic,
        match=lambda r: r.value["data"].get("dossier_code") in codes and r.value["data"]["channel"] == "zalo",
        until=until,
    )
    return [r.value for r in records]


async def test_zalo_messages_go_with_consent_only_retried_failed_and_never_twice(
    infrastructure: Infrastructure,
    topics: Topics,
    mongo_db: AsyncDatabase[Any],
    mongo_client: AsyncMongoClient[Any],
) -> None:
    agency = f"Z{uuid.uuid4().hex[:6].upper()}"
    bootstrap = infrastructure.kafka_bootstrap_servers
    intake_db = f"{mongo_db.name}_intake"
    applicants = (CONSENTS, REFUSES, SILENT, FLAKY, NO_ZALO)
    try:
        with smtp_sink() as smtp:
            async with zalo_api() as zalo, http_receiver() as gateway:
                zalo.script = {(FLAKY.zns_phone, ACCEPTED_ID): [-100, -124], (NO_ZALO.zns_phone, ACCEPTED_ID): [-118]}
                settings = notification_settings(
                    infrastructure,
                    mongo_db.name,
                    topics,
                    smtp_port=smtp.port,
                    sms_url=gateway.url("/sms"),
                    zalo_api_url=zalo.url,
                    zalo_access_token=ACCESS_TOKEN,
                    zalo_templates=ZALO_TEMPLATES,
                )
                intake_config = intake_settings(bootstrap, infrastructure.mongodb_url, intake_db, topics)
                async with (
                    running_notification(settings) as (_, notification),
                    running_intake(intake_config, **calendar_options()) as intake,
                ):
                    await seed_intake_catalogue(intake, agency, {f"{agency}.001": 3})
                    receipts = {a: await submit(intake, agency, a) for a in applicants}
                    codes = {r["dossier_code"] for r in receipts.values()}

                    # Consenting: received and accepted; the flaky one twice more; the one without Zalo once.
                    settled = await eventually(lambda: len(zalo.requests) >= 2 + 4 + 2, wait=30)
                    assert settled, zalo.requests
                    told = await outcomes(
                        bootstrap,
                        topics.notification_events,
                        codes,
                        until=lambda found: (
                            sum(r.value["event_type"] == "notification.delivered" for r in found) >= 5
                            and any(r.value["data"].get("permanent") for r in found)
                        ),
                    )

                    # A redelivered event (the same dossier.submitted and accepted again) sends nothing new.
                    before = len(zalo.requests)
                    await redeliver(bootstrap, topics, receipts[CONSENTS]["dossier_id"])
                    await asyncio.sleep(2.0)  # the dispatcher looks every 0.2 s
                    assert len(zalo.requests) == before, zalo.requests[before:]

                    history = await notification.get(
                        "/v1/notifications",
                        headers=token(Role.ADMIN),
                        params={"dossier_code": receipts[CONSENTS]["dossier_code"]},
                    )
                    assert history.status_code == 200, history.text
                    on_zalo = [n for n in history.json()["data"] if n["channel"] == "zalo"]
    finally:
        await mongo_client.drop_database(intake_db)

    # Consent given: one ZNS request per configured message, to the number in Zalo's form, with the
    # template's parameters filled from the dossier.
    consenting = receipts[CONSENTS]
    (received,) = zalo.to(CONSENTS.zns_phone, RECEIVED_ID)
    (accepted,) = zalo.to(CONSENTS.zns_phone, ACCEPTED_ID)
    assert received["path"] == "/message/template" and received["headers"]["access_token"] == ACCESS_TOKEN
    assert received["body"]["template_data"] == {
        "ten_nguoi_nop": "Nguyễn Văn An",
        "ma_ho_so": consenting["dossier_code"],
        "hinh_thuc": "trực tiếp",
    }
    assert accepted["body"]["template_data"] == {
        "customer_name": "Nguyễn Văn An",
        "ma_ho_so": consenting["dossier_code"],
        "ngay_hen_tra": format_datetime(datetime.fromisoformat(consenting["appointment_at"]), "vi"),
    }
    assert {n["template"]: n["status"] for n in on_zalo} == {
        "applicant.received.zalo": "delivered",
        "applicant.accepted.zalo": "delivered",
    }
    assert all(n["attempts"][0]["provider_message_id"] for n in on_zalo)
    assert {n["notification_id"] for n in on_zalo} == {received["body"]["tracking_id"], accepted["body"]["tracking_id"]}

    # No consent (refused, or not said): nothing on Zalo.
    assert zalo.to(REFUSES.zns_phone) == [] and zalo.to(SILENT.zns_phone) == []

    by_notification: dict[str, list[str]] = {}
    for outcome in told:
        by_notification.setdefault(outcome["data"]["notification_id"], []).append(outcome["event_type"])

    # A transient error (Zalo's unknown error, an expired token): retried, then delivered once.
    flaky = zalo.to(FLAKY.zns_phone, ACCEPTED_ID)
    assert [r["error"] for r in flaky] == [-100, -124, 0]
    assert len({r["body"]["tracking_id"] for r in flaky}) == 1
    assert by_notification[flaky[0]["body"]["tracking_id"]] == [
        "notification.failed",
        "notification.failed",
        "notification.delivered",
    ]

    # A permanent error (the number has no Zalo account): not retried, failed with the reason.
    (no_account,) = zalo.to(NO_ZALO.zns_phone, ACCEPTED_ID)
    (failed,) = [o for o in told if o["data"]["notification_id"] == no_account["body"]["tracking_id"]]
    assert failed["event_type"] == "notification.failed" and failed["data"]["permanent"] is True
    assert "-118" in failed["data"]["reason"] and "Zalo account not existed" in failed["data"]["reason"]

    # Never two sends of one message: each notification id taken by Zalo once.
    taken = Counter(r["body"]["tracking_id"] for r in zalo.requests if r["error"] == 0)
    assert taken and max(taken.values()) == 1, taken
    assert sum(taken.values()) == 2 + 2 + 1  # consenting x2, flaky x2, no-Zalo's receipt message


async def redeliver(bootstrap: str, topics: Topics, dossier_id: str) -> None:
    """Publish the dossier's events once more, as a broker redelivers them."""
    records = await read_records(
        bootstrap, topics.dossier_events, match=lambda r: r.key == dossier_id, until=lambda found: len(found) >= 2
    )
    broker = make_broker(bootstrap, client_id="zalo-test-redelivery")
    await broker.connect()
    try:
        for record in records:
            await broker.publish(
                json.dumps(record.value).encode(), topic=topics.dossier_events, key=dossier_id.encode()
            )
    finally:
        await broker.stop()
