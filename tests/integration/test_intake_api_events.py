"""Every intake endpoint through HTTP against the real broker and store: its events read back from
dossier.events / catalog.events with the contract's fields."""

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    ADMIN,
    calendar_options,
    dossier_body,
    eventually,
    idem,
    intake_settings,
    read_records,
    running_intake,
    seed_catalogue,
    token,
)

PHONE = "0912345678"


@pytest_asyncio.fixture(loop_scope="session")
async def intake(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    async with running_intake(settings, **calendar_options()) as client:
        yield client


def new_agency() -> str:
    return f"S{uuid.uuid4().hex[:6].upper()}"


async def events_of(infra: Infrastructure, topic: str, key: str, count: int, settle: float = 0.0) -> list[Any]:
    """The events published under `key`, parsed with the shared schemas (so contract fields are checked)."""
    records = await read_records(
        infra.kafka_bootstrap_servers,
        topic,
        match=lambda r: r.key == key,
        until=lambda found: len(found) >= count,
        settle=settle,
    )
    return [ev.parse_event(json.dumps(r.value)) for r in records]


async def submit(
    client: httpx.AsyncClient, agency: str, procedure: str, channel: str, headers: dict[str, str], phone: str = PHONE
) -> dict[str, Any]:
    response = await client.post(
        "/v1/dossiers", headers=idem(headers), json=dossier_body(procedure, agency, channel, phone=phone)
    )
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


async def publish_as_processing(infra: Infrastructure, topics: Topics, event: ev.DossierEvent) -> None:
    broker = make_broker(infra.kafka_bootstrap_servers)
    async with broker:
        await broker.start()
        await broker.publish(event.to_bytes(), topic=topics.dossier_events, key=event.dossier_id.encode())


async def status_of(client: httpx.AsyncClient, code: str) -> str | None:
    response = await client.get(f"/v1/track/{code}", params={"phone": PHONE})
    return response.json()["status"] if response.status_code == 200 else None


def now() -> datetime:
    return ev.now()


# --- catalogue -----------------------------------------------------------------------------------


async def test_catalogue_writes_publish_agency_and_procedure_events(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    parent, child = new_agency(), new_agency()
    r = await intake.post(
        "/v1/agencies",
        headers=idem(ADMIN),
        json={"agency_code": parent, "name": "Ủy ban nhân dân huyện Hương Trà", "admin_level": "district"},
    )
    assert r.status_code == 201, r.text
    r = await intake.post(
        "/v1/agencies",
        headers=idem(ADMIN),
        json={
            "agency_code": child,
            "name": "Ủy ban nhân dân xã Hương Vinh",
            "admin_level": "commune",
            "parent_code": parent,
        },
    )
    assert r.status_code == 201, r.text
    procedure = f"9.{uuid.uuid4().hex[:6]}"
    r = await intake.post(
        "/v1/procedures",
        headers=idem(ADMIN),
        json={
            "procedure_code": procedure,
            "name": "Đăng ký khai sinh",
            "agency_code": child,
            "online_level": 4,
            "processing_time": {"value": 8, "unit": "working_hours"},
        },
    )
    assert r.status_code == 201, r.text
    r = await intake.post(f"/v1/procedures/{procedure}/retire", headers=idem(ADMIN))
    assert r.status_code == 200, r.text

    [registered] = await events_of(infrastructure, topics.catalog_events, child, 1)
    assert isinstance(registered, ev.AgencyRegistered)
    assert registered.source == "intake-service"
    assert registered.data.model_dump(mode="json") == {
        "agency_code": child,
        "name": "Ủy ban nhân dân xã Hương Vinh",
        "admin_level": "commune",
        "parent_code": parent,
    }
    published, retired = await events_of(infrastructure, topics.catalog_events, procedure, 2)
    assert isinstance(published, ev.ProcedurePublished)
    assert published.data.admin_level is ev.AdminLevel.COMMUNE  # defaulted to the agency's level
    assert published.data.online_level == 4
    assert published.data.processing_time == ev.ProcessingTime(value=Decimal(8), unit=ev.TimeUnit.WORKING_HOURS)
    assert published.data.fee is None
    assert isinstance(retired, ev.ProcedureRetired) and retired.data.procedure_code == procedure

    listed = (await intake.get("/v1/agencies")).json()
    assert {a["agency_code"] for a in listed["data"]} >= {parent, child}
    assert (await intake.get("/v1/procedures", params={"agency_code": child})).json()["count"] == 0
    shown = (await intake.get("/v1/procedures", params={"agency_code": child, "include_retired": True})).json()
    assert [p["procedure_code"] for p in shown["data"]] == [procedure]
    assert shown["data"][0]["retired"] is True


async def test_catalogue_events_published_by_integrators_are_folded(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency, procedure = new_agency(), f"9.{uuid.uuid4().hex[:6]}"
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    at = now()
    async with broker:
        await broker.start()
        for event in (
            ev.AgencyRegistered(
                occurred_at=at,
                source="legacy-migration",
                data=ev.AgencyRegisteredData(
                    agency_code=agency, name="Sở Công Thương", admin_level=ev.AdminLevel.PROVINCIAL
                ),
            ),
            ev.ProcedurePublished(
                occurred_at=at,
                source="legacy-migration",
                data=ev.ProcedurePublishedData(
                    procedure_code=procedure,
                    name="Cấp giấy phép bán lẻ sản phẩm rượu",
                    agency_code=agency,
                    admin_level=ev.AdminLevel.PROVINCIAL,
                    online_level=3,
                    processing_time=ev.ProcessingTime(value=Decimal(10), unit=ev.TimeUnit.WORKING_DAYS),
                    fee=Decimal(1200000),
                ),
            ),
        ):
            key = getattr(event.data, "agency_code", None) if isinstance(event, ev.AgencyRegistered) else procedure
            await broker.publish(event.to_bytes(), topic=topics.catalog_events, key=str(key).encode())

    async def visible() -> dict[str, Any] | None:
        r = await intake.get(f"/v1/procedures/{procedure}")
        return r.json() if r.status_code == 200 else None

    shown = await eventually(visible)
    assert shown is not None, "intake did not fold the integrator's procedure"
    assert shown["fee"] in (1200000, "1200000")
    assert shown["online_level"] == 3


# --- submissions ---------------------------------------------------------------------------------


async def test_a_counter_dossier_publishes_submitted_and_accepted_in_order(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    officer = token(Role.OFFICER, agency=agency)
    receipt = await submit(intake, agency, f"{agency}.1", "direct", officer)

    assert re.fullmatch(rf"{agency}-\d{{6}}-0001", receipt["dossier_code"])
    assert receipt["status"] == "accepted" and receipt["appointment_at"] is not None

    submitted, accepted = await events_of(infrastructure, topics.dossier_events, receipt["dossier_id"], 2)
    assert isinstance(submitted, ev.DossierSubmitted) and isinstance(accepted, ev.DossierAccepted)
    assert submitted.dossier_id == accepted.dossier_id == receipt["dossier_id"]
    assert submitted.data.dossier_code == receipt["dossier_code"]
    assert submitted.data.procedure_code == f"{agency}.1" and submitted.data.agency_code == agency
    assert submitted.data.channel is ev.Channel.DIRECT
    assert submitted.data.applicant.full_name == "Nguyễn Văn An" and submitted.data.applicant.phone == PHONE
    assert submitted.data.documents and submitted.data.documents[0].sha256 == "a" * 64
    assert submitted.occurred_at.utcoffset() == timedelta(hours=7)
    assert accepted.data.due_at == datetime.fromisoformat(receipt["appointment_at"])
    assert accepted.data.due_at > submitted.occurred_at


async def test_postal_and_online_dossiers(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.3": 3})
    postal = await submit(intake, agency, f"{agency}.3", "postal", token(Role.INTEGRATOR, subject="vnpost"))
    online = await submit(intake, agency, f"{agency}.3", "online", token(Role.APPLICANT, subject="citizen-1"))

    assert postal["status"] == "accepted"
    assert [postal["dossier_code"][-4:], online["dossier_code"][-4:]] == ["0001", "0002"]
    p_submitted, p_accepted = await events_of(infrastructure, topics.dossier_events, postal["dossier_id"], 2)
    assert p_submitted.data.channel is ev.Channel.POSTAL and isinstance(p_accepted, ev.DossierAccepted)

    # An online dossier waits for an officer: no acceptance, no appointment yet.
    assert online["status"] == "submitted" and online["appointment_at"] is None
    [o_submitted] = await events_of(infrastructure, topics.dossier_events, online["dossier_id"], 1, settle=1.0)
    assert isinstance(o_submitted, ev.DossierSubmitted) and o_submitted.data.channel is ev.Channel.ONLINE


# --- tracking ------------------------------------------------------------------------------------


async def test_tracking_answers_only_to_the_right_phone(intake: httpx.AsyncClient) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.1": 4})
    receipt = await submit(
        intake, agency, f"{agency}.1", "direct", token(Role.OFFICER, agency=agency), phone="0912 345 678"
    )

    found = await intake.get(f"/v1/track/{receipt['dossier_code']}", params={"phone": "+84912345678"})
    assert found.status_code == 200
    assert found.json() == {
        "dossier_code": receipt["dossier_code"],
        "status": "accepted",
        "appointment_at": found.json()["appointment_at"],
        "as_of": found.json()["as_of"],
        "supplement_respond_by": None,
    }  # given only while papers are asked for
    assert datetime.fromisoformat(found.json()["appointment_at"]) == datetime.fromisoformat(receipt["appointment_at"])

    wrong_phone = await intake.get(f"/v1/track/{receipt['dossier_code']}", params={"phone": "0987654321"})
    unknown = await intake.get(f"/v1/track/{agency}-200101-9999", params={"phone": PHONE})
    assert wrong_phone.status_code == unknown.status_code == 404
    assert wrong_phone.json()["error"]["code"] == unknown.json()["error"]["code"] == "dossier_not_found"
    assert set(wrong_phone.json()["error"]) == set(unknown.json()["error"])


# --- applicant actions and payment ---------------------------------------------------------------


async def test_withdrawal_only_while_open(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.4": 4})
    receipt = await submit(intake, agency, f"{agency}.4", "online", token(Role.APPLICANT))
    applicant = token(Role.APPLICANT, subject="citizen-2")
    url = f"/v1/dossiers/{receipt['dossier_code']}/withdrawal"

    wrong = await intake.post(url, headers=idem(applicant), json={"phone": "0900000000"})
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "dossier_not_found"
    r = await intake.post(url, headers=idem(applicant), json={"phone": PHONE, "reason": "Không còn nhu cầu"})
    assert r.status_code == 201, r.text
    again = await intake.post(url, headers=idem(applicant), json={"phone": PHONE})
    assert again.status_code == 409 and again.json()["error"]["code"] == "dossier_closed"

    _, withdrawn = await events_of(infrastructure, topics.dossier_events, receipt["dossier_id"], 2, settle=1.0)
    assert isinstance(withdrawn, ev.DossierWithdrawn) and withdrawn.data.reason == "Không còn nhu cầu"
    assert await status_of(intake, receipt["dossier_code"]) == "withdrawn"


async def test_payment_callback_answers_a_payment_request(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.4": 4})
    receipt = await submit(intake, agency, f"{agency}.4", "direct", token(Role.OFFICER, agency=agency))
    platform = token(Role.INTEGRATOR, subject="payment-platform")
    body = {"dossier_code": receipt["dossier_code"], "amount": 50000, "transaction_id": "VNPAY-1"}

    early = await intake.post("/v1/payments/callback", headers=idem(platform), json=body)
    assert early.status_code == 409 and early.json()["error"]["code"] == "payment_not_requested"

    await publish_as_processing(
        infrastructure,
        topics,
        ev.DossierPaymentRequested(
            occurred_at=now(),
            source="processing-service",
            dossier_id=receipt["dossier_id"],
            data=ev.PaymentRequestedData(amount=Decimal(50000)),
        ),
    )
    assert await eventually(lambda: _is(intake, receipt["dossier_code"], "awaiting_payment"))

    r = await intake.post("/v1/payments/callback", headers=idem(platform), json=body)
    assert r.status_code == 201, r.text
    events = await events_of(infrastructure, topics.dossier_events, receipt["dossier_id"], 4)
    paid = events[-1]
    assert isinstance(paid, ev.DossierPaymentCompleted)
    assert paid.data.amount == Decimal(50000) and paid.data.method is ev.PaymentMethod.ONLINE


async def test_supplementary_papers_move_the_appointment(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.4": 4})
    receipt = await submit(intake, agency, f"{agency}.4", "direct", token(Role.OFFICER, agency=agency))
    await publish_as_processing(
        infrastructure,
        topics,
        ev.DossierSupplementRequested(
            occurred_at=now() - timedelta(days=2),
            source="processing-service",
            dossier_id=receipt["dossier_id"],
            data=ev.SupplementRequestedData(reason="Thiếu bản sao CCCD", items=["Bản sao CCCD"]),
        ),
    )
    assert await eventually(lambda: _is(intake, receipt["dossier_code"], "supplement_requested"))

    r = await intake.post(
        f"/v1/dossiers/{receipt['dossier_code']}/supplements",
        headers=idem(token(Role.APPLICANT)),
        json={"phone": PHONE, "documents": [{"name": "Bản sao CCCD.pdf"}]},
    )
    assert r.status_code == 201, r.text
    received = (await events_of(infrastructure, topics.dossier_events, receipt["dossier_id"], 4))[-1]
    assert isinstance(received, ev.DossierSupplementReceived)
    assert received.data.due_at > datetime.fromisoformat(receipt["appointment_at"])
    assert datetime.fromisoformat(r.json()["appointment_at"]) == received.data.due_at


async def test_rating_once_after_the_result_was_returned(
    intake: httpx.AsyncClient, infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = new_agency()
    await seed_catalogue(intake, agency, {f"{agency}.4": 4})
    receipt = await submit(intake, agency, f"{agency}.4", "direct", token(Role.OFFICER, agency=agency))
    url = f"/v1/dossiers/{receipt['dossier_code']}/rating"
    applicant = token(Role.APPLICANT)
    early = await intake.post(url, headers=idem(applicant), json={"phone": PHONE, "rating": "satisfied"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "dossier_not_returned"

    for event in (
        ev.DossierResultReady(
            occurred_at=now(),
            source="processing-service",
            dossier_id=receipt["dossier_id"],
            data=ev.ResultReadyData(result_number="12/GP"),
        ),
        ev.DossierReturned(
            occurred_at=now(),
            source="processing-service",
            dossier_id=receipt["dossier_id"],
            data=ev.ReturnedData(delivery=ev.Delivery.DIRECT),
        ),
    ):
        await publish_as_processing(infrastructure, topics, event)
    assert await eventually(lambda: _is(intake, receipt["dossier_code"], "returned"))

    r = await intake.post(
        url, headers=idem(applicant), json={"phone": PHONE, "rating": "very_satisfied", "comment": "Nhanh, gọn"}
    )
    assert r.status_code == 201, r.text
    twice = await intake.post(url, headers=idem(applicant), json={"phone": PHONE, "rating": "unsatisfied"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_rated"

    events = await events_of(infrastructure, topics.dossier_events, receipt["dossier_id"], 5, settle=1.0)
    rated = [e for e in events if isinstance(e, ev.DossierRated)]
    assert len(rated) == 1
    assert rated[0].data.rating is ev.Rating.VERY_SATISFIED and rated[0].data.comment == "Nhanh, gọn"


async def _is(client: httpx.AsyncClient, code: str, status: str) -> bool:
    return await status_of(client, code) == status
