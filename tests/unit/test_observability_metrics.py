"""/metrics: requests by route template and status, events consumed by outcome, dead letters,
notifications; /ready names the dependency that failed."""

import asyncio
import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker, TestKafkaBroker
from motcua_shared.api import create_app
from motcua_shared.consuming import subscribe_events
from motcua_shared.events import DOSSIER_EVENT_TYPES, DossierEvent
from motcua_shared.kafka import publish_event
from motcua_shared.observability import metrics
from motcua_shared.observability.readiness import add_readiness_check
from prometheus_client import REGISTRY
from support import samples


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def app_client() -> TestClient:
    app = create_app(title="metrics test")

    @app.get("/v1/things/{code}")
    async def thing(code: str) -> dict[str, str]:
        return {"code": code}

    return TestClient(app)


def test_requests_are_counted_by_route_template_and_status_never_by_raw_path() -> None:
    client = app_client()
    before = client.get("/metrics").text
    for code in ("A-1", "B-2", "C-3"):
        assert client.get(f"/v1/things/{code}").status_code == 200
    assert client.get("/nowhere/0912345678").status_code == 404
    text = client.get("/metrics").text
    route = {"method": "GET", "route": "/v1/things/{code}", "status": "200"}
    assert (
        sample(text, "motcua_http_requests_total", **route) - sample(before, "motcua_http_requests_total", **route) == 3
    )
    assert sample(text, "motcua_http_requests_total", route="unmatched", status="404") >= 1
    assert sample(text, "motcua_http_request_duration_seconds_count", route="/v1/things/{code}") >= 3
    assert "A-1" not in text and "0912345678" not in text  # no raw path, no personal data in labels
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_notification_counters_are_exposed_for_the_notification_service() -> None:
    channel = f"sms-{uuid.uuid4().hex[:6]}"
    metrics.record_notification_sent(channel)
    metrics.record_notification_sent(channel)
    metrics.record_notification_failed(channel, "provider_error")
    text = app_client().get("/metrics").text
    assert sample(text, "motcua_notifications_sent_total", channel=channel) == 2
    assert sample(text, "motcua_notifications_failed_total", channel=channel, reason="provider_error") == 1


def test_ready_is_503_naming_the_failed_dependency_and_200_when_all_answer() -> None:
    app = create_app(title="ready test")

    async def answers() -> bool:
        return True

    async def refuses() -> bool:
        raise ConnectionRefusedError("127.0.0.1:1 refused")

    client = TestClient(app)
    assert client.get("/ready").json() == {"status": "ready", "checks": {}}
    add_readiness_check(app, "kafka", answers)
    add_readiness_check(app, "store", refuses)
    response = client.get("/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert [f["field"] for f in error["fields"]] == ["store"]
    assert "refused" in error["fields"][0]["message"]
    add_readiness_check(app, "store", answers)
    assert client.get("/ready").json() == {"status": "ready", "checks": {"kafka": "ok", "store": "ok"}}


@pytest.mark.asyncio
async def test_consumed_events_are_counted_by_outcome() -> None:
    topic = f"metrics-{uuid.uuid4().hex[:6]}"
    good, second = samples.dossier_events()[:2]
    bad = json.loads(good.to_bytes())
    bad["data"]["channel"] = "carrier-pigeon"
    failures = {"left": 1}
    seen: list[DossierEvent] = []

    async def handle(event: DossierEvent) -> None:
        if event.event_id == second.event_id and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("store away")
        seen.append(event)

    broker = KafkaBroker()
    subscribe_events(broker, topic, group_id="g", expect=DOSSIER_EVENT_TYPES, handle=handle, retry_pause=0)
    async with TestKafkaBroker(broker) as test_broker:
        await publish_event(test_broker, good, topic=topic, key=good.dossier_id)
        await test_broker.publish(json.dumps(bad).encode(), topic=topic)
        with pytest.raises(ConnectionError):  # the in-memory broker hands the handler's error back
            await publish_event(test_broker, second, topic=topic, key=second.dossier_id)
        await asyncio.sleep(0)

    def count(event_type: str, outcome: str) -> float | None:
        return REGISTRY.get_sample_value(
            "motcua_events_consumed_total", {"topic": topic, "group": "g", "event_type": event_type, "outcome": outcome}
        )

    assert count(good.event_type, "applied") == 1
    assert count("invalid", "dead_lettered") == 1
    assert count(second.event_type, "failed") == 1
    assert REGISTRY.get_sample_value("motcua_dead_letters_total", {"topic": topic, "group": "g"}) == 1
    assert (
        REGISTRY.get_sample_value("motcua_events_published_total", {"topic": topic, "event_type": good.event_type}) == 1
    )
    exposed = metrics.exposition()[0].decode()
    assert re.search(rf'motcua_events_consumed_total\{{[^}}]*topic="{topic}"', exposed)
