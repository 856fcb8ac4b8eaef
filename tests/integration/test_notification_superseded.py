"""SMS held back by quiet hours tell, when they go, only what is still true: a message a later event
made untrue ("please pay" for a payment made since, "papers needed" for papers received since) is
not sent, and its delivery keeps that later event as the reason (`superseded_by`). Against the real
broker and store, a real SMS gateway (HTTP) and notification's API."""

import asyncio
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    HttpReceiver,
    eventually,
    http_receiver,
    notification_settings,
    own_topics,
    publish,
    running_notification,
    smtp_sink,
    token,
)

topics = own_topics
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = datetime.combine(date.today(), time(22), HCM)  # business time: quiet hours are 21:00-07:00
MORNING = datetime.combine(date.today() + timedelta(days=1), time(7), HCM)


@dataclass
class Clock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at


def night(minutes: int) -> datetime:
    return NIGHT + timedelta(minutes=minutes)


def a_whole_life_overnight(dossier: Dossier) -> list[Any]:
    """Seven SMS in one night: received, accepted, papers needed, papers received, please pay
    (then paid, which has no SMS), result ready, returned."""
    due = MORNING + timedelta(days=10)
    return [
        dossier.submitted(night(0)),
        dossier.accepted(due, night(5)),
        dossier._event(
            ev.DossierSupplementRequested,
            ev.SupplementRequestedData(reason="Thiếu giấy tờ", items=["Bản sao CCCD"]),
            night(10),
        ),
        dossier._event(
            ev.DossierSupplementReceived, ev.SupplementReceivedData(due_at=due + timedelta(days=1)), night(20)
        ),
        dossier._event(ev.DossierPaymentRequested, ev.PaymentRequestedData(amount=150000), night(30)),
        dossier._event(
            ev.DossierPaymentCompleted,
            ev.PaymentCompletedData(amount=150000, method=ev.PaymentMethod.ONLINE),
            night(40),
        ),
        dossier._event(ev.DossierResultReady, ev.ResultReadyData(result_number="KQ-0042"), night(50)),
        dossier._event(ev.DossierReturned, ev.ReturnedData(delivery=ev.Delivery.DIRECT), night(60)),
    ]


def paid_overnight(dossier: Dossier) -> list[Any]:
    """Received, accepted, asked to pay, then paid, all before 07:00."""
    return [
        dossier.submitted(night(0)),
        dossier.accepted(MORNING + timedelta(days=5), night(5)),
        dossier._event(ev.DossierPaymentRequested, ev.PaymentRequestedData(amount=50000), night(30)),
        dossier._event(
            ev.DossierPaymentCompleted, ev.PaymentCompletedData(amount=50000, method=ev.PaymentMethod.ONLINE), night(45)
        ),
    ]


async def _history(client: httpx.AsyncClient, dossier: Dossier) -> list[dict[str, Any]]:
    answer = await client.get(
        "/v1/notifications", params={"dossier_code": dossier.code}, headers=token(Role.OFFICER, agency=dossier.agency)
    )
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["data"] if n["channel"] == "sms"]


def _paid_hooks(gateway: HttpReceiver) -> int:
    return len(gateway.at("/hooks"))


async def test_sms_queued_overnight_drop_what_a_later_event_superseded_and_say_why(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    whole_life = Dossier(phone="0912000001")
    paid = Dossier(phone="0912000002")
    clock = Clock(night(1))
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure,
                mongo_db.name,
                topics,
                smtp_port=smtp.port,
                sms_url=gateway.url("/sms"),
                sms_quiet_start="21:00",
                sms_quiet_end="07:00",
            )
            async with running_notification(settings, now=clock) as (_, client):
                # An integrator's webhook shows when each payment has been read (it has no SMS).
                hook = await client.post(
                    "/v1/webhooks",
                    headers=token(Role.ADMIN),
                    json={"url": gateway.url("/hooks"), "event_types": ["dossier.payment_completed"]},
                )
                assert hook.status_code == 201
                events = a_whole_life_overnight(whole_life) + paid_overnight(paid)
                await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, events)

                async def all_queued() -> bool:
                    return (
                        len(await _history(client, whole_life)) == 7
                        and len(await _history(client, paid)) == 3
                        and _paid_hooks(gateway) == 2
                    )

                assert await eventually(all_queued)
                await asyncio.sleep(0.5)
                assert gateway.at("/sms") == []  # quiet hours: nothing yet

                clock.at = MORNING

                async def all_settled() -> bool:
                    history = await _history(client, whole_life) + await _history(client, paid)
                    return all(n["status"] not in ("pending", "sending") for n in history)

                assert await eventually(all_settled)
                await asyncio.sleep(0.5)  # anything else would be sent within this
                whole_life_sms = await _history(client, whole_life)
                paid_sms = await _history(client, paid)

    sent = [(r.json()["to"], r.json()["text"]) for r in gateway.at("/sms")]
    assert sorted(sent) == sorted(
        [
            ("0912000001", f"Đã trả kết quả hồ sơ {whole_life.code} (trực tiếp)."),
            ("0912000002", sent_text(paid_sms, "applicant.accepted.sms")),
        ]
    ), sent

    ids = {e.event_type: str(e.event_id) for e in events if e.dossier_id == whole_life.dossier_id}
    by_template = {n["template"]: n for n in whole_life_sms}
    expected_by = {
        "applicant.received.sms": "dossier.accepted",  # checked and accepted since
        "applicant.accepted.sms": "dossier.supplement_received",  # a new result date since
        "applicant.supplement_requested.sms": "dossier.supplement_received",  # the papers came
        "applicant.supplement_received.sms": "dossier.result_ready",  # the result came
        "applicant.payment_requested.sms": "dossier.payment_completed",  # paid
        "applicant.result_ready.sms": "dossier.returned",  # collected
    }
    for template, by in expected_by.items():
        message = by_template[template]
        assert message["status"] == "superseded", message
        assert message["superseded_by"]["event_type"] == by, message
        assert message["superseded_by"]["event_id"] == ids[by]  # the very event
        assert message["attempts"] == []
    assert by_template["applicant.returned.sms"]["status"] == "sent"
    paid_reason = by_template["applicant.payment_requested.sms"]["superseded_by"]
    assert datetime.fromisoformat(paid_reason["occurred_at"]) == night(40)

    assert {n["template"]: (n["status"], (n.get("superseded_by") or {}).get("event_type")) for n in paid_sms} == {
        "applicant.received.sms": ("superseded", "dossier.accepted"),
        "applicant.accepted.sms": ("sent", None),  # the result date is still true
        "applicant.payment_requested.sms": ("superseded", "dossier.payment_completed"),  # already paid
    }


def sent_text(history: list[dict[str, Any]], template: str) -> str:
    (message,) = [n for n in history if n["template"] == template]
    return str(message["body"])
