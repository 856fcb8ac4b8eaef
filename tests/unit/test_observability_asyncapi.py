"""The AsyncAPI document a service serves: every topic it consumes, with the contract's event schemas
as payload, its dead-letter topic, and what it declared it publishes."""

from fastapi.testclient import TestClient
from faststream.kafka import KafkaBroker
from motcua_shared import events as ev
from motcua_shared.api import create_app, serve_asyncapi
from motcua_shared.consuming import subscribe_events
from motcua_shared.observability.asyncapi import document_publication


async def ignore(event: ev.Envelope) -> None:
    return None


def test_the_document_lists_consumed_and_published_topics_with_the_event_schemas() -> None:
    broker = KafkaBroker("127.0.0.1:9092")  # never connected: the document is built from declarations
    subscribe_events(broker, "dossier.events", group_id="svc", expect=ev.DOSSIER_EVENT_TYPES, handle=ignore)
    document_publication(broker, "notification.events", ev.NOTIFICATION_EVENT_TYPES, "what was sent")
    app = create_app(title="motcua svc", description="A service.")
    serve_asyncapi(app, broker)
    client = TestClient(app)

    document = client.get("/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    assert document["info"]["title"] == "motcua svc"
    addresses = {name: channel["address"] for name, channel in document["channels"].items()}
    assert set(addresses.values()) == {"dossier.events", "dossier.events.dlq", "notification.events"}
    actions = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"] for op in document["operations"].values()}
    assert actions == {
        "dossier.events:svc": "receive",
        "dossier.events.dlq:svc": "send",
        "notification.events:publish": "send",
    }

    messages = document["components"]["messages"]
    (consumed,) = [m for name, m in messages.items() if name.startswith("dossier.events:svc:")]
    refs = {ref["$ref"].rsplit("/", 1)[1] for ref in consumed["payload"]["oneOf"]}
    assert refs == {cls.__name__ for cls in ev.DOSSIER_EVENT_TYPES}
    schemas = document["components"]["schemas"]
    assert "dossier_code" in schemas["SubmittedData"]["properties"]  # the contract's fields, resolvable
    assert schemas["DossierSubmitted"]["properties"]["data"] == {"$ref": "#/components/schemas/SubmittedData"}
    (dead_letter,) = [m for name, m in messages.items() if name.startswith("dossier.events.dlq:")]
    assert {"dlq-reason", "dlq-field", "dlq-source", "dlq-consumer"} <= set(dead_letter["headers"]["properties"])

    page = client.get("/asyncapi")
    assert page.status_code == 200 and "/asyncapi.json" in page.text
    assert "/asyncapi" in client.get("/openapi.json").json()["info"]["description"]


def test_a_service_without_a_broker_has_no_document() -> None:
    response = TestClient(create_app(title="no broker")).get("/asyncapi.json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
