"""The ground truth of a load run, for the fault tests: what intake acknowledged (a 201 with a dossier
code) and what the officers' and applicants' actions were acknowledged for, set against what the
services show afterwards (processing's dossiers, reporting's summary, notification's deliveries)."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_stack import load, services
from motcua_stack import topics as topic_admin

from support.deployment import SECRET, Deployment, header

FINAL_NOTIFICATION = {"sent", "delivered", "failed", "unknown"}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer the load got."""

    method: str
    url: str
    status: int
    code: str | None  # the error code, for a 4xx/5xx
    retry_after: str | None


@dataclass
class Truth:
    """Every dossier whose submission was acknowledged, with the life it was given (all steps of it
    acknowledged: a run with an unfinished life fails before it gets here)."""

    lives: dict[str, load.Script] = field(default_factory=dict)  # dossier code -> its script

    def add(self, scripts: list[load.Script], stats: load.Stats) -> None:
        assert not stats.failures, "lives not played to the end:\n" + stats.summary()
        assert len(stats.codes) == len(scripts), stats.summary()
        for index, code in stats.codes.items():
            assert code not in self.lives, f"{code} acknowledged for two dossiers"
            self.lives[code] = scripts[index]

    def summary(self) -> dict[str, Any]:
        """The figures reporting must show for the live period."""
        resolved = [s for s in self.lives.values() if any(step.action == "result-ready" for step in s.steps)]
        ratings = Counter(
            step.body["rating"]
            for s in self.lives.values()
            for step in s.steps
            if step.action == "rating" and step.body
        )
        return {
            "received": len(self.lives),
            "by_channel": dict(Counter(s.channel for s in self.lives.values())),
            "by_agency": dict(Counter(s.agency_code for s in self.lives.values())),
            "resolved": len(resolved),
            "returned_by_post": sum(
                1
                for s in resolved
                for step in s.steps
                if step.action == "return" and step.body and step.body["delivery"] == "postal"
            ),
            "satisfaction": dict(ratings),
        }


def shown(summary: dict[str, Any]) -> dict[str, Any]:
    """Reporting's summary in the shape of Truth.summary()."""
    return {
        "received": summary["received"]["total"],
        "by_channel": {c: v["count"] for c, v in summary["received"]["by_channel"].items() if v["count"]},
        "by_agency": {row["agency_code"]: row["received"] for row in summary["by_agency"] if row["received"]},
        "resolved": summary["resolved"]["total"],
        "returned_by_post": summary["resolved"]["returned_by_post"]["count"],
        "satisfaction": {
            r: summary["satisfaction"][r]["count"]
            for r in ("very_satisfied", "satisfied", "unsatisfied")
            if summary["satisfaction"][r]["count"]
        },
    }


def live_period() -> dict[str, str]:
    """The live dossiers are today's in the province; a day either side in case midnight falls in the run."""
    today = datetime.now(PROVINCE_TZ).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


async def play(
    deployment: Deployment,
    scripts: list[load.Script],
    *,
    rate: float,
    run_id: str,
    think_seconds: float = 0.2,
    patience_seconds: float = 60.0,
    during: Callable[[], Awaitable[None]] | None = None,
) -> tuple[load.Stats, list[Answer]]:
    """Play `scripts` through intake's and processing's APIs while `during()` runs (the fault);
    every answer is kept."""
    answers: list[Answer] = []

    async def keep(response: httpx.Response) -> None:
        code = None
        if response.status_code >= 400:
            await response.aread()
            try:
                code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = f"not the error shape: {response.text[:200]}"
        answers.append(
            Answer(
                response.request.method,
                str(response.request.url),
                response.status_code,
                code,
                response.headers.get("Retry-After"),
            )
        )

    async with load.Driver(
        deployment.url(services.INTAKE),
        deployment.url(services.PROCESSING),
        load.Tokens(SECRET),
        run_id=run_id,
        think_seconds=think_seconds,
        patience_seconds=patience_seconds,
    ) as driver:
        assert driver._client is not None
        driver._client.event_hooks = {"response": [keep]}
        if during is None:
            stats = await driver.run(scripts, rate=rate)
        else:
            stats, _ = await asyncio.gather(driver.run(scripts, rate=rate), during())
    return stats, answers


async def procedures(deployment: Deployment) -> list[dict[str, Any]]:
    from motcua_stack import histories

    expect = len(histories.read_catalogue()["procedures"])
    found = await load.procedures(deployment.url(services.INTAKE), expect=expect, wait_seconds=90)
    assert len(found) == expect, f"intake knows {len(found)} of {expect} procedures"
    return found


async def caught_up(deployment: Deployment, *, patience: float = 120.0) -> None:
    topics = deployment.topics
    behind = await topic_admin.wait_caught_up(
        deployment.infrastructure.kafka_bootstrap_servers,
        deployment.groups,
        [topics.catalog_events, topics.dossier_events],
        patience=patience,
    )
    assert behind == 0, f"{behind} events not consumed by {deployment.groups}"


async def reports(deployment: Deployment) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        response = await client.get(
            f"{deployment.url(services.REPORTING)}/v1/reports/summary",
            params=live_period(),
            headers=header(Role.OFFICIAL),
        )
    assert response.status_code == 200, response.text
    return shown(response.json())


async def check_dossiers(deployment: Deployment, truth: Truth) -> None:
    """Processing shows each acknowledged dossier in the status its life ended in, each event once."""
    official = header(Role.OFFICIAL)
    wrong = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        for code, script in truth.lives.items():
            response = await client.get(f"{deployment.url(services.PROCESSING)}/v1/dossiers/{code}", headers=official)
            assert response.status_code == 200, (code, response.text)
            dossier = response.json()
            ids = [entry["event_id"] for entry in dossier["history"]]
            assert len(ids) == len(set(ids)), f"{code}: an event applied twice"
            if dossier["status"] != script.final_status:
                wrong.append((code, dossier["status"], script.final_status, [s.action for s in script.steps]))
    assert not wrong, f"dossiers not in the status their acknowledged life ended in: {wrong}"


async def eventually(check: Callable[[], Awaitable[Any]], *, wait: float) -> Any:
    """Poll `check` until it returns something truthy, or return its last answer after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.5)


async def notification_history(deployment: Deployment, codes: list[str], *, wait: float = 60.0) -> list[dict[str, Any]]:
    """Every notification about `codes`, once each is final (sent, delivered, failed or unknown)."""
    official = header(Role.OFFICIAL)

    async def final() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=30.0) as client:
            for code in codes:
                response = await client.get(
                    f"{deployment.url(services.NOTIFICATION)}/v1/notifications",
                    params={"dossier_code": code},
                    headers=official,
                )
                assert response.status_code == 200, response.text
                found += response.json()["data"]
        return found if all(n["status"] in FINAL_NOTIFICATION for n in found) else []

    history = await eventually(final, wait=wait)
    assert history, "notifications still pending or sending"
    return list(history)


async def records_in(bootstrap_servers: str, topic: str) -> int:
    """How many records `topic` holds (the sum of its partitions' end offsets)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer.topics()  # fetch metadata once
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        return sum((await consumer.end_offsets(partitions)).values()) if partitions else 0
    finally:
        await consumer.stop()


def minus(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What a run added to figures in the shape of Truth.summary() (counts subtracted, zeros dropped)."""
    added: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            added[key] = {k: v - before[key].get(k, 0) for k, v in value.items() if v - before[key].get(k, 0)}
        else:
            added[key] = value - before[key]
    return added
