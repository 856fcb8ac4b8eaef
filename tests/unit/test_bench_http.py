"""bench/_http.py, the load generators' lean client, against a real uvicorn server: what it sends
arrives as sent, answers of either framing are read whole, and a kept connection the server closed
costs no request."""

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from support.serving import serving

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _http  # noqa: E402  (a script's helper beside it, not a package)

app = FastAPI()
connections: set[Any] = set()


@app.post("/v1/dossiers", status_code=201)
async def echo(request: Request) -> dict[str, Any]:
    connections.add(request.client)
    return {"body": await request.json(), "key": request.headers.get("idempotency-key")}


@app.get("/v1/chunked")
async def chunked(n: int) -> StreamingResponse:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(n):
            yield f"part {i};".encode()

    return StreamingResponse(parts(), media_type="text/plain")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async with serving(app, timeout_keep_alive=1) as url:
        yield url


async def test_posts_json_and_reuses_one_connection_for_requests_in_turn(server: str) -> None:
    connections.clear()
    async with _http.LeanClient(server) as client:
        for i in range(3):
            response = await client.post(
                "/v1/dossiers", json_body={"name": "Nguyễn Văn An", "i": i}, headers={"Idempotency-Key": f"k{i}"}
            )
            assert response.status_code == 201
            assert response.json() == {"body": {"name": "Nguyễn Văn An", "i": i}, "key": f"k{i}"}
    assert len(connections) == 1


async def test_reads_a_chunked_answer_whole_and_reports_errors_by_status(server: str) -> None:
    async with _http.LeanClient(server) as client:
        response = await client.get("/v1/chunked", params={"n": "3"})
        assert response.content == b"part 0;part 1;part 2;"
        missing = await client.get("/v1/nowhere")
        assert missing.status_code == 404
        with pytest.raises(_http.HttpError):
            missing.raise_for_status()


async def test_a_kept_connection_the_server_closed_is_not_a_failed_request(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_http, "IDLE_SECONDS", 60.0)  # keep it past the server's keep-alive (1 s here)
    async with _http.LeanClient(server) as client:
        assert (await client.post("/v1/dossiers", json_body={})).status_code == 201
        await asyncio.sleep(1.5)
        assert (await client.post("/v1/dossiers", json_body={"again": True})).status_code == 201
