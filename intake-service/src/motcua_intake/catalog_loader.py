"""`motcua-intake load-catalog`: publishes a catalogue file (the shipped sample by default) on
catalog.events, agencies first (parents before children), then procedures. Event ids derive from
the content, so loading the same file twice publishes nothing a consumer would apply twice."""

import json
import uuid
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from motcua_shared import events as ev
from motcua_shared.kafka import make_broker, publish_event

from .config import Settings
from .domain.codes import PROVINCE_TZ

_NAMESPACE = uuid.UUID("6f0a3c52-1d8e-4c1b-9e57-3a4f5b6c7d8e")
SAMPLE = "catalog_data/sample_catalogue.json"


def read_catalogue(path: str | None = None) -> dict[str, Any]:
    """The catalogue document: {"agencies": [...], "procedures": [...]} (`name_en` glosses included)."""
    if path:
        text = Path(path).read_text("utf-8")
    else:
        text = resources.files("motcua_intake").joinpath(SAMPLE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def catalogue_events(document: dict[str, Any], *, source: str, occurred_at: datetime) -> list[ev.Envelope]:
    """The events that register every agency and publish every procedure of `document`."""
    events: list[ev.Envelope] = []
    agencies = sorted(document["agencies"], key=lambda a: a.get("parent_code") is not None)
    for agency in agencies:
        a_data = ev.AgencyRegisteredData.model_validate(agency)
        events.append(
            ev.AgencyRegistered(
                event_id=_event_id("agency.registered", a_data), occurred_at=occurred_at, source=source, data=a_data
            )
        )
    for procedure in document["procedures"]:
        p_data = ev.ProcedurePublishedData.model_validate(procedure)
        events.append(
            ev.ProcedurePublished(
                event_id=_event_id("procedure.published", p_data), occurred_at=occurred_at, source=source, data=p_data
            )
        )
    return events


def _event_id(event_type: str, data: ev.Payload) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, event_type + data.model_dump_json())


async def load_catalogue(settings: Settings, path: str | None = None) -> dict[str, int]:
    """Publish the catalogue; each event keyed by its agency or procedure code, acknowledged by the broker."""
    document = read_catalogue(path)
    events = catalogue_events(
        document, source=settings.service_name, occurred_at=datetime.now(UTC).astimezone(PROVINCE_TZ)
    )
    broker = make_broker(settings.kafka_bootstrap_servers, client_id=f"{settings.service_name}-loader")
    topic = settings.topics.catalog_events
    async with broker:
        await broker.start()
        for event in events:
            data = event.data
            key = data.agency_code if isinstance(data, ev.AgencyRegisteredData) else data.procedure_code  # type: ignore[attr-defined]
            await publish_event(broker, event, topic=topic, key=key)
    return {"agencies": len(document["agencies"]), "procedures": len(document["procedures"])}
