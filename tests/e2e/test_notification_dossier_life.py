"""A dossier's life, end to end: the notification service runs over HTTP (uvicorn) against the real
broker and store; an admin registers an agency's contacts and an integrator's webhook through the API;
dossier events go through the real broker; a real SMTP server and a real HTTP receiver (SMS gateway
and webhook endpoint) get the messages: in the right language, each once, the apology letter attached
as a PDF whose Vietnamese text reads right, webhooks signed. The letter is kept in test-artifacts/."""

import asyncio
import io
import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pypdf
import uvicorn
from aiokafka import AIOKafkaConsumer
from motcua_notification.bootstrap import create_app
from motcua_notification.domain.context import format_datetime
from motcua_notification.domain.signing import verify
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_notification_support import (
    Dossier,
    eventually,
    free_port,
    http_receiver,
    in_days,
    notification_settings,
    own_topics,
    publish,
    smtp_sink,
    token,
)

topics = own_topics
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
AGENCY_NAME = "Sở Tài nguyên và Môi trường"
REASON = "Cần xác minh thực địa thửa đất tại phường Hưng Dũng"
WEBHOOK_SECRET = "integrator-secret-0123456789abcdef"


async def test_a_dossier_life_reaches_applicants_agencies_and_integrators_once_in_their_language(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    english = Dossier(full_name="Nguyễn Văn An", email="an@example.vn", phone="0912000111", language="en")
    vietnamese = Dossier(agency=english.agency, full_name="Trần Thị Bích", email="bich@example.vn", phone="0912000222")
    new_due = in_days(12)
    life = [
        english.submitted(),
        english.accepted(in_days(10)),
        english.supplement_requested("Thiếu giấy tờ", ["Bản sao CCCD", "Sơ đồ thửa đất"]),
        english.supplement_received(in_days(11)),
        english.payment_requested(250000),
        english.due_soon(in_days(11)),
        english.apology(REASON, new_due),
        english.overdue(in_days(11)),
        english.result_ready(),
        english.returned(),
        vietnamese.submitted(),
        vietnamese.accepted(in_days(10)),
        vietnamese.apology(REASON, new_due),
        vietnamese.refused("Hồ sơ không thuộc thẩm quyền giải quyết"),
    ]
    agency = ev.AgencyRegistered(
        occurred_at=datetime.now(UTC),
        source="intake-service",
        data=ev.AgencyRegisteredData(
            agency_code=english.agency, name=AGENCY_NAME, admin_level=ev.AdminLevel.PROVINCIAL
        ),
    )

    with smtp_sink() as smtp:
        async with http_receiver() as receiver:
            settings = notification_settings(
                infrastructure,
                mongo_db.name,
                topics,
                smtp_port=smtp.port,
                sms_url=receiver.url("/sms"),
                sms_without_diacritics=True,
            )
            port = free_port()
            server = uvicorn.Server(
                uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on")
            )
            serving = asyncio.create_task(server.serve())
            try:
                while not server.started:  # noqa: ASYNC110 -- uvicorn offers a flag, not an event
                    await asyncio.sleep(0.05)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:
                    admin = token(Role.ADMIN)
                    contacts = await api.put(
                        f"/v1/agencies/{english.agency}/contacts",
                        headers=admin,
                        json={"emails": ["vanthu@stnmt.example.vn"]},
                    )
                    assert contacts.status_code == 200
                    hook = await api.post(
                        "/v1/webhooks",
                        headers=admin,
                        json={
                            "url": receiver.url("/hook"),
                            "secret": WEBHOOK_SECRET,
                            "event_types": ["dossier.accepted", "dossier.apology_issued", "dossier.overdue"],
                        },
                    )
                    assert hook.status_code == 201
                    await publish(infrastructure.kafka_bootstrap_servers, topics.catalog_events, [agency])
                    await asyncio.sleep(1.0)  # the agency's name first, as the catalogue precedes dossiers
                    await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, life)
                    await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, life[:4])  # again

                    expected_emails, expected_sms, expected_hooks = 15, 12, 5
                    assert await eventually(
                        lambda: (
                            len(smtp.inbox) >= expected_emails
                            and len(receiver.at("/sms")) >= expected_sms
                            and len(receiver.at("/hook")) >= expected_hooks
                        ),
                        wait=60,
                    )
                    await asyncio.sleep(1.0)  # anything sent twice would arrive within this
                    history = (
                        await api.get(
                            "/v1/notifications",
                            params={"dossier_code": english.code},
                            headers=token(Role.OFFICER, agency=english.agency),
                        )
                    ).json()
                    letter_id = next(n["letter_id"] for n in history["data"] if n["letter_id"])
                    letter = await api.get(
                        f"/v1/letters/{letter_id}", headers=token(Role.OFFICER, agency=english.agency)
                    )
            finally:
                server.should_exit = True
                await serving
    outcomes = await _outcomes(infrastructure, topics, expected_emails + expected_sms + expected_hooks)

    # Each message once, however often its event was delivered.
    assert len(smtp.inbox) == expected_emails and len(receiver.requests) == expected_sms + expected_hooks
    assert set(Counter((m["To"], m["Subject"]) for m in smtp.inbox).values()) == {1}

    # The English-speaking applicant reads English; the agency's name comes from the catalogue.
    assert sorted(m["Subject"] for m in smtp.to("an@example.vn")) == sorted(
        s.format(code=english.code)
        for s in [
            "Dossier {code} received",
            "Receipt for dossier {code} and result date",
            "Papers needed for dossier {code}",
            "Papers received for dossier {code}",
            "Payment requested for dossier {code}",
            "Apology: new result date for dossier {code}",
            "The result of dossier {code} is ready",
            "Result of dossier {code} returned",
            "How did we do? Rate dossier {code}",
        ]
    )
    papers = next(m for m in smtp.to("an@example.vn") if m["Subject"].startswith("Papers needed"))
    assert "Please provide: Bản sao CCCD; Sơ đồ thửa đất" in papers.get_body().get_content()
    payment = next(m for m in smtp.to("an@example.vn") if m["Subject"].startswith("Payment"))
    assert "VND 250,000" in payment.get_body().get_content()
    received = next(m for m in smtp.to("an@example.vn") if m["Subject"].endswith("received"))
    assert AGENCY_NAME in received.get_body().get_content()

    # The Vietnamese-speaking applicant reads Vietnamese.
    assert sorted(m["Subject"] for m in smtp.to("bich@example.vn")) == sorted(
        s.format(code=vietnamese.code)
        for s in [
            "Đã nhận hồ sơ {code}",
            "Giấy tiếp nhận hồ sơ {code} và hẹn trả kết quả",
            "Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
            "Hồ sơ {code} không được tiếp nhận",
        ]
    )
    refusal = next(m for m in smtp.to("bich@example.vn") if "không được tiếp nhận" in m["Subject"])
    assert "Lý do: Hồ sơ không thuộc thẩm quyền giải quyết" in refusal.get_body().get_content()

    # The agency is warned before and after the deadline.
    assert sorted(m["Subject"] for m in smtp.to("vanthu@stnmt.example.vn")) == sorted(
        [f"[Sắp đến hạn] Hồ sơ {english.code}", f"[Quá hạn] Hồ sơ {english.code}"]
    )

    # The apology carries the letter the agency signs, a PDF whose Vietnamese reads right.
    for address, dossier in (("an@example.vn", english), ("bich@example.vn", vietnamese)):
        apology = next(m for m in smtp.to(address) if "pology" in m["Subject"] or "xin lỗi" in m["Subject"])
        (attachment,) = list(apology.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"phieu-xin-loi-{dossier.code}.pdf"
        pdf = attachment.get_content()
        text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
        assert f"Kính gửi: Ông/Bà {dossier.full_name}" in text
        assert dossier.code in text and f"Lý do: {REASON}" in text and AGENCY_NAME in text
        assert f"hẹn lại ngày trả kết quả vào lúc {format_datetime(new_due, 'vi')}" in text
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"notification-apology-{dossier.language or 'vi'}.pdf").write_bytes(pdf)
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"

    # SMS in the reader's language, without diacritics (configured here), so GSM-7.
    texts = {(r.json()["to"], r.json()["text"]) for r in receiver.at("/sms")}
    assert ("0912000111", f"Dossier {english.code} needs: Ban sao CCCD; So do thua dat") in texts
    assert (
        "0912000222",
        f"Ho so {vietnamese.code} bi tu choi. Ly do: Ho so khong thuoc tham quyen giai quyet",
    ) in texts
    assert next(n for n in history["data"] if n["channel"] == "sms")["sms_segments"] >= 1

    # Webhooks: signed, the event as published, each once.
    hooks = receiver.at("/hook")
    assert Counter(h.json()["event_type"] for h in hooks) == {
        "dossier.accepted": 2,
        "dossier.apology_issued": 2,
        "dossier.overdue": 1,
    }
    for hook_call in hooks:
        assert verify(
            WEBHOOK_SECRET,
            hook_call.headers["x-motcua-timestamp"],
            hook_call.body,
            hook_call.headers["x-motcua-signature"],
            now=time.time(),
        )
        assert hook_call.json()["event_id"] in {str(e.event_id) for e in life}

    # Every outcome is on notification.events.
    kinds = Counter(o["event_type"] for o in outcomes)
    assert kinds == {"notification.sent": expected_emails + expected_sms, "notification.delivered": expected_hooks}


async def _outcomes(infrastructure: Infrastructure, topics: Topics, count: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topics.notification_events,
        bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: dict[str, dict[str, Any]] = {}
    try:
        deadline = time.monotonic() + 20
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    outcome = json.loads(record.value)
                    found[outcome["event_id"]] = outcome
    finally:
        await consumer.stop()
    return list(found.values())
