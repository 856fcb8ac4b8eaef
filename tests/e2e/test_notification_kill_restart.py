"""The running service killed (SIGKILL) mid-stream and started again: `motcua-notification` runs as a
process against the real broker and store, a real SMTP server and a slow real SMS gateway. Nothing is
sent twice; a send the kill cut off is marked `unknown` (at most once), every other one is sent."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_notification_support import (
    SECRET,
    Dossier,
    eventually,
    free_port,
    http_receiver,
    in_days,
    own_topics,
    publish,
    smtp_sink,
    token,
)

topics = own_topics
ENTRY_POINT = Path(sys.executable).parent / "motcua-notification"
FINAL = {"sent", "delivered", "failed", "unknown"}


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(ENTRY_POINT)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_until_serving(port: int) -> None:
    async def answers() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        except httpx.HTTPError:
            return False

    assert await eventually(answers, wait=60)


async def test_killed_mid_stream_and_restarted_it_sends_nothing_twice(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    dossiers = [Dossier(email=f"kill{i}@example.vn", phone=f"09130000{i:02d}") for i in range(6)]
    events = [e for d in dossiers for e in (d.submitted(), d.accepted(in_days(9)), d.result_ready())]
    port = free_port()
    with smtp_sink() as smtp:
        async with http_receiver() as gateway:
            gateway.delay["/sms"] = 0.3  # a slow gateway: the kill is likely to cut a send off
            env = {
                **os.environ,
                **{
                    f"MOTCUA_NOTIFICATION_{k}": str(v)
                    for k, v in {
                        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
                        "MONGODB_URL": infrastructure.mongodb_url,
                        "MONGODB_DATABASE": mongo_db.name,
                        "TOPIC_PREFIX": topics.prefix,
                        "CONSUMER_GROUP": f"kill-test-{port}",
                        "JWT_SECRET": SECRET,
                        "HTTP_PORT": port,
                        "SMTP_PORT": smtp.port,
                        "SMS_GATEWAY_URL": gateway.url("/sms"),
                        "RETRY_BASE_SECONDS": 0.2,
                        "DISPATCHER_INTERVAL_SECONDS": 0.2,
                        "SENDING_LEASE_SECONDS": 2,
                        "SMS_QUIET_START": "00:00",
                        "SMS_QUIET_END": "00:00",
                        "LOG_LEVEL": "WARNING",
                    }.items()
                },
            }
            await publish(infrastructure.kafka_bootstrap_servers, topics.dossier_events, events)
            process = start(env)
            try:
                await wait_until_serving(port)
                assert await eventually(lambda: len(gateway.requests) >= 4, wait=60)
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                killed_after = (len(smtp.inbox), len(gateway.requests))

                process = start(env)
                await wait_until_serving(port)
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:

                    async def all_final() -> list[dict[str, Any]]:
                        found: list[dict[str, Any]] = []
                        for d in dossiers:
                            answer = await api.get(
                                "/v1/notifications", params={"dossier_code": d.code}, headers=token(Role.OFFICIAL)
                            )
                            found += answer.json()["data"]
                        done = len(found) == 36 and all(n["status"] in FINAL for n in found)
                        return found if done else []

                    history = await eventually(all_final, wait=90)
                await asyncio.sleep(1.0)
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    assert killed_after[0] + killed_after[1] < 72, "the kill came after everything was sent"
    assert len(history) == 36, "every message was decided"
    statuses = Counter(n["status"] for n in history)
    print(f"killed after {killed_after[0]} emails and {killed_after[1]} SMS requests; in the end: {dict(statuses)}")
    assert set(statuses) <= {"sent", "unknown"}, statuses
    # Nothing twice: each address got each message at most once ...
    assert set(Counter((m["To"], m["Subject"]) for m in smtp.inbox).values()) == {1}
    assert set(Counter((r.json()["to"], r.json()["text"]) for r in gateway.requests).values()) == {1}
    # ... every message marked sent arrived, and only a send cut off by the kill may be unknown.
    assert len(smtp.inbox) + len(gateway.requests) >= statuses["sent"]
    assert statuses["unknown"] <= 8  # at most the sends under way at the kill (the dispatcher's concurrency)
    for unknown in (n for n in history if n["status"] == "unknown"):
        assert [a["outcome"] for a in unknown["attempts"]][-1] == "unknown"
