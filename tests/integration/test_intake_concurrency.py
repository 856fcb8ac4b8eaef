"""Dossier codes stay distinct under load: 200 concurrent submissions to one agency on one day,
within one intake and spread over two intake processes sharing the store."""

import asyncio
import os
import re
import socket
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    SECRET,
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    read_records,
    running_intake,
    seed_catalogue,
    token,
)

SUBMISSIONS = 200


def assert_distinct_daily_codes(codes: list[str], agency: str) -> None:
    assert len(codes) == SUBMISSIONS and len(set(codes)) == SUBMISSIONS
    by_day: dict[str, list[int]] = defaultdict(list)
    for code in codes:
        match = re.fullmatch(rf"{agency}-(\d{{6}})-(\d{{4}})", code)
        assert match, code
        by_day[match[1]].append(int(match[2]))
    for numbers in by_day.values():  # two days only if the test straddles midnight in Hanoi
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


async def submit_all(clients: list[httpx.AsyncClient], agency: str, channel: str, headers: dict[str, str]) -> list[str]:
    async def one(i: int) -> str:
        client = clients[i % len(clients)]
        keyed = idem(headers)
        body = dossier_body(f"{agency}.1", agency, channel, phone=f"09{i:08d}")
        # A client that is told 503 + Retry-After (a broker slow under this burst) comes back with the
        # same Idempotency-Key, and gets the code reserved for its first try: no gap, no second code.
        for _ in range(10):
            r = await client.post("/v1/dossiers", headers=keyed, json=body)
            if r.status_code != 503:
                break
            await asyncio.sleep(float(r.headers["Retry-After"]))
        assert r.status_code == 201, r.text
        code: str = r.json()["dossier_code"]
        return code

    return list(await asyncio.gather(*(one(i) for i in range(SUBMISSIONS))))


async def submitted_codes(infra: Infrastructure, topics: Topics, agency: str) -> list[str]:
    records = await read_records(
        infra.kafka_bootstrap_servers,
        topics.dossier_events,
        match=lambda r: r.value["event_type"] == "dossier.submitted" and r.value["data"]["agency_code"] == agency,
        until=lambda found: len(found) >= SUBMISSIONS,
        wait=60,
        settle=1.0,
    )
    return [r.value["data"]["dossier_code"] for r in records]


async def test_concurrent_submissions_in_one_intake_get_distinct_codes(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    agency = f"C{uuid.uuid4().hex[:6].upper()}"
    async with running_intake(settings, **calendar_options()) as client:
        await seed_catalogue(client, agency, {f"{agency}.1": 4})
        codes = await submit_all([client], agency, "direct", token(Role.OFFICER, agency=agency))
    assert_distinct_daily_codes(codes, agency)
    assert sorted(await submitted_codes(infrastructure, topics, agency)) == sorted(codes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def two_intake_processes(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any], run_id: str
) -> Iterator[list[str]]:
    """Two `motcua-intake` processes on free ports, sharing the run's topics and this test's database."""
    ports = [free_port(), free_port()]
    group = f"intake-test-{uuid.uuid4().hex[:8]}"
    processes = []
    for port in ports:
        env = {
            **os.environ,
            "MOTCUA_INTAKE_HTTP_PORT": str(port),
            "MOTCUA_INTAKE_KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
            "MOTCUA_INTAKE_MONGODB_URL": infrastructure.mongodb_url,
            "MOTCUA_INTAKE_MONGODB_DATABASE": mongo_db.name,
            "MOTCUA_INTAKE_TOPIC_PREFIX": topics.prefix,
            "MOTCUA_INTAKE_CONSUMER_GROUP": group,
            "MOTCUA_INTAKE_JWT_SECRET": SECRET,
            "MOTCUA_INTAKE_LOG_LEVEL": "WARNING",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", "from motcua_intake.main import main; main()"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def wait_healthy(client: httpx.AsyncClient, process_url: str) -> None:
    for _ in range(150):
        try:
            if (await client.get(f"{process_url}/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"intake at {process_url} did not start")


@pytest_asyncio.fixture(loop_scope="session")
async def process_clients(two_intake_processes: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [
        httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=50))
        for url in two_intake_processes
    ]
    for client, url in zip(clients, two_intake_processes, strict=True):
        await wait_healthy(client, url)
    yield clients
    for client in clients:
        await client.aclose()


async def test_concurrent_submissions_over_two_intake_processes_get_distinct_codes(
    process_clients: list[httpx.AsyncClient], infrastructure: Infrastructure, topics: Topics
) -> None:
    agency = f"C{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(process_clients[0], agency, {f"{agency}.1": 4})
    codes = await submit_all(process_clients, agency, "online", token(Role.APPLICANT))
    assert_distinct_daily_codes(codes, agency)
    assert sorted(await submitted_codes(infrastructure, topics, agency)) == sorted(codes)
