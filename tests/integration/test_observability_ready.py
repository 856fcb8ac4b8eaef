"""/ready against the real broker and store: 200 when both answer, 503 naming the one that does not."""

import httpx
from fastapi import FastAPI
from motcua_shared.api import create_app
from motcua_shared.kafka import make_broker
from motcua_shared.mongo import make_mongo_client
from motcua_shared.observability.readiness import add_readiness_check, kafka_check, store_check
from motcua_shared.topics import Topics
from support.infrastructure import Infrastructure
from test_reporting_support import reporting_settings, running_reporting


async def ready(app: FastAPI) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        return await client.get("/ready")


async def test_ready_is_200_when_kafka_and_the_store_answer_and_503_naming_each_that_does_not(
    infrastructure: Infrastructure,
) -> None:
    broker = make_broker(infrastructure.kafka_bootstrap_servers)
    store = make_mongo_client(infrastructure.mongodb_url)
    nowhere = make_mongo_client("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=500)
    app = create_app(title="readiness")
    try:
        await broker.connect()
        add_readiness_check(app, "kafka", kafka_check(broker))
        add_readiness_check(app, "store", store_check(store))
        response = await ready(app)
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "checks": {"kafka": "ok", "store": "ok"}}

        add_readiness_check(app, "store", store_check(nowhere))
        response = await ready(app)
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "not_ready"
        assert [f["field"] for f in error["fields"]] == ["store"]
        assert response.headers["Retry-After"]

        add_readiness_check(app, "kafka", kafka_check(make_broker("127.0.0.1:1")))  # never connected
        response = await ready(app)
        assert response.status_code == 503
        assert sorted(f["field"] for f in response.json()["error"]["fields"]) == ["kafka", "store"]
    finally:
        await broker.stop()
        await store.close()
        await nowhere.close()


async def test_a_service_whose_store_is_unreachable_is_alive_but_not_ready(
    infrastructure: Infrastructure,
    run_id: str,
) -> None:
    unreachable = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500"
    settings = reporting_settings(
        infrastructure.kafka_bootstrap_servers, unreachable, f"t_{run_id}_unready", Topics(f"test-{run_id}-unready.")
    )
    async with running_reporting(settings, consume=False) as client:
        assert (await client.get("/health")).status_code == 200
        response = await client.get("/ready")
        assert response.status_code == 503
        assert [f["field"] for f in response.json()["error"]["fields"]] == ["store"]
