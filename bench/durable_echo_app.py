"""The ideal durable echo: the least a durable, acknowledged submission needs. The same FastAPI app
shape as the bare echo (bench/echo_app.py) and intake (one uvicorn process, no access log config), but
each `POST /v1/dossiers` does, awaited, one `insert_one` of the body into the store and one Kafka send of
it with `acks=all`, and answers 201 only then. No validation, no catalogue, no codes, no idempotency:
intake's ceiling divided by this one is how much of the durable minimum intake's own work leaves.

    uv run python bench/durable_echo_app.py --port 8091 --kafka 127.0.0.1:19092 \\
        --mongodb mongodb://127.0.0.1:37017 --database bench_x_durable_echo --topic bench-x.durable-echo

The topic must exist (the benchmark creates it with the run's partition count). The producer is plain
aiokafka, as intake's publisher is underneath FastStream: acks=all, not idempotent (see
motcua_shared.publishing for why intake's is not either), the default linger."""

import argparse
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from motcua_shared.mongo import make_mongo_client


def create_app(kafka: str, mongodb_url: str, database: str, topic: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = make_mongo_client(mongodb_url, app_name="bench-durable-echo")
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka, client_id="bench-durable-echo", acks="all", enable_idempotence=False
        )
        await producer.start()
        app.state.submissions = mongo[database]["submissions"]
        app.state.producer = producer
        try:
            yield
        finally:
            await producer.stop()
            await mongo.close()

    app = FastAPI(title="durable echo", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/dossiers", status_code=201)
    async def submit(body: dict[str, Any]) -> dict[str, Any]:
        key = uuid.uuid4().hex  # spreads over the partitions as dossier keys do
        await app.state.submissions.insert_one({"_id": key, **body})
        await app.state.producer.send_and_wait(topic, json.dumps(body).encode(), key=key.encode())
        return {"id": key, **body}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--kafka", required=True, help="bootstrap servers")
    parser.add_argument("--mongodb", required=True, help="the store's URL")
    parser.add_argument("--database", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    app = create_app(args.kafka, args.mongodb, args.database, args.topic)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()
