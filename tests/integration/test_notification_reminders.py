"""Issue 18, notification's side, against the real broker and store, a real SMTP server and a real HTTP
SMS gateway: the applicant is reminded once, in Vietnamese first, that the time for the papers asked
for ends soon (`dossier.supplement_due_soon`) and that a result waits to be collected
(`dossier.result_uncollected`), however often processing's announcement is delivered."""

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from motcua_shared import events as ev
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parent))
from test_notification_support import (
    Dossier,
    eventually,
    http_receiver,
    in_days,
    notification_settings,
    own_topics,
    publish,
    running_notification,
    smtp_sink,
)

topics = own_topics
SMS_PATH = "/sms"


def _announced(dossier: Dossier, cls: type[Any], data: Any) -> Any:
    return cls(occurred_at=datetime.now(UTC), source="processing-service", dossier_id=dossier.dossier_id, data=data)


async def test_the_applicant_is_reminded_once_of_the_papers_and_of_a_result_to_collect(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    papers = Dossier(email="hoa.papers@example.vn", phone="0912000001")
    result = Dossier(email="hoa.result@example.vn", phone="0912000002", language="en")
    respond_by = datetime.now(UTC) + timedelta(days=2)
    reminder = _announced(
        papers,
        ev.DossierSupplementDueSoon,
        ev.SupplementDueSoonData(respond_by=respond_by, remaining_working_hours=Decimal(16)),
    )
    uncollected = _announced(
        result,
        ev.DossierResultUncollected,
        ev.ResultUncollectedData(ready_at=datetime.now(UTC) - timedelta(days=7), after_working_days=Decimal(5)),
    )
    events = [
        papers.submitted(),
        papers.accepted(in_days(10)),
        papers.supplement_requested("Thiếu", ["Bản sao CCCD"]),
        result.submitted(),
        result.accepted(in_days(3)),
        result.result_ready(),
        reminder,
        uncollected,
    ]
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url(SMS_PATH)
            )
            # Each announcement delivered twice (a redelivery carries the same event id).
            await publish(
                infrastructure.kafka_bootstrap_servers, topics.dossier_events, [*events, reminder, uncollected]
            )
            async with running_notification(settings):

                def reminded() -> bool:
                    subjects = {m["Subject"] for m in smtp.inbox}
                    texts = " | ".join(r.json()["text"] for r in gateway.at(SMS_PATH))
                    return (
                        f"Nhắc hạn bổ sung hồ sơ {papers.code}" in subjects
                        and f"Please collect the result of dossier {result.code}" in subjects
                        and f"Hồ sơ {papers.code}: hạn bổ sung" in texts
                        and f"result of dossier {result.code} has been ready" in texts
                    )

                assert await eventually(reminded)
                await asyncio.sleep(1.5)  # time enough for anything that would be sent twice

    reminders = [m for m in smtp.to(papers.email or "") if m["Subject"].startswith("Nhắc hạn bổ sung")]
    assert len(reminders) == 1
    assert "Thời hạn bổ sung giấy tờ" in reminders[0].get_content() and "16" in reminders[0].get_content()
    collect = [m for m in smtp.to(result.email or "") if "collect" in m["Subject"]]
    assert len(collect) == 1
    texts = [r.json()["text"] for r in gateway.at(SMS_PATH)]
    assert sum(t.startswith(f"Hồ sơ {papers.code}: hạn bổ sung") for t in texts) == 1
    assert sum(f"result of dossier {result.code} has been ready" in t for t in texts) == 1
