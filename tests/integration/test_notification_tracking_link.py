"""The applicant's email links to intake's public tracking page with the dossier's code filled in, from
the configured public address; and that link, opened on intake, shows the form with the code filled in
(issue: "the applicant's link is a bare API path")."""

import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

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
PUBLIC_PAGE = "https://dichvucong.tinh.example.gov.vn/track"


def _links(text: str) -> list[str]:
    return [word for word in text.split() if word.startswith("http")]


async def test_the_email_links_to_the_tracking_page_with_the_code_filled_in(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossier = Dossier(email="an.nguyen@example.vn", phone="0912000077")
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            settings = notification_settings(
                infrastructure, mongo_db.name, topics, smtp_port=smtp.port, sms_url=gateway.url("/sms")
            )
            settings = settings.model_copy(update={"portal_url": PUBLIC_PAGE})
            await publish(
                infrastructure.kafka_bootstrap_servers,
                topics.dossier_events,
                [dossier.submitted(), dossier.accepted(in_days(10))],
            )
            async with running_notification(settings):
                await eventually(lambda: len(smtp.to(dossier.email or "")) >= 2)
    for message in smtp.to(dossier.email or ""):
        body = message.get_body(preferencelist=("plain",)).get_content()
        links = _links(body)
        assert links, body
        for link in links:
            parsed = urlparse(link)
            assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == PUBLIC_PAGE, link
            assert parse_qs(parsed.query) == {"code": [dossier.code]}, link
