"""Scale-out: two instances of processing and two of reporting in one consumer group share the
partitions of the topics, and end with the same figures as one instance each, with nothing applied
twice. Both deployments run as real processes (`motcua_stack.services`) against the broker and store
of the run, side by side: each with its own topic prefix, consumer groups, databases and ports. Both
get the same imported history (events published straight to the topics, old business times) and the
same seeded live load through intake's and processing's APIs."""

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from motcua_shared.auth import Role
from motcua_shared.calendar import PROVINCE_TZ
from motcua_stack import histories, load, services
from motcua_stack import topics as topic_admin
from prometheus_client.parser import text_string_to_metric_families
from support.deployment import SECRET, Deployment, header, publish_history
from support.infrastructure import Infrastructure

PARTITIONS = 2
HISTORY_START, HISTORY_END = date(2026, 4, 1), date(2026, 7, 1)
HISTORY_DOSSIERS = 30
LIVE_DOSSIERS = 8


async def figures(deployment: Deployment, history_codes: list[str], live_codes: dict[int, str]) -> dict[str, Any]:
    """What an official sees: processing's dossiers and reporting's summaries and agency tables."""
    official = header(Role.OFFICIAL)
    # The live dossiers are today's in the province; a day either side in case midnight falls in the run.
    today = datetime.now(PROVINCE_TZ).date()
    periods = {
        "history": {"from": HISTORY_START.isoformat(), "to": "2026-06-30"},
        "today": {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()},
    }
    result: dict[str, Any] = {"dossiers": {}, "live": {}, "reports": {}}
    async with httpx.AsyncClient(timeout=30.0) as client:
        processing = deployment.url(services.PROCESSING)
        for code in history_codes:
            response = await client.get(f"{processing}/v1/dossiers/{code}", headers=official)
            assert response.status_code == 200, (code, response.text)
            result["dossiers"][code] = response.json()
        for index, code in live_codes.items():
            response = await client.get(f"{processing}/v1/dossiers/{code}", headers=official)
            assert response.status_code == 200, (code, response.text)
            result["live"][index] = response.json()
        # Ask every reporting instance: whichever folded an event, all read the same read models.
        for instance in range(deployment.instances["reporting"]):
            reporting = deployment.url(services.REPORTING, instance)
            for name, period in periods.items():
                for report in ("summary", "agencies"):
                    response = await client.get(f"{reporting}/v1/reports/{report}", params=period, headers=official)
                    assert response.status_code == 200, response.text
                    result["reports"][(instance, name, report)] = response.json()
    return result


async def applied_dossier_events(deployment: Deployment, service: services.Service, instance: int) -> float:
    """How many dossier events this instance applied, from its `motcua_events_consumed_total`."""
    async with httpx.AsyncClient(timeout=30) as client:
        text = (await client.get(f"{deployment.url(service, instance)}/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "motcua_events_consumed_total"
        and sample.labels.get("outcome") == "applied"
        and sample.labels.get("topic") == deployment.topics.dossier_events
    )


def essentials(dossier: dict[str, Any], *, live: bool) -> dict[str, Any]:
    """A dossier as processing shows it, without what depends on the wall clock of the run."""
    kept = {
        "status": dossier["status"],
        "channel": dossier["channel"],
        "rating": dossier["rating"],
        "procedure_code": dossier["procedure_code"],
        "agency_code": dossier["agency_code"],
        "history": [entry["event_type"] for entry in dossier["history"]],
        "anomalies": [a["reason"] for a in dossier["anomalies"]],
    }
    if not live:
        kept |= {
            "code": dossier["code"],
            "due_at": dossier["due_at"],
            "result_at": dossier["result_at"],
            "history_ids": [entry["event_id"] for entry in dossier["history"]],
        }
    return kept


async def test_two_processing_and_two_reporting_instances_end_with_the_figures_of_one(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    one = Deployment(
        "one", {"intake": 1, "processing": 1, "notification": 0, "reporting": 1}, tmp_path / "one", infrastructure
    )
    two = Deployment(
        "two", {"intake": 1, "processing": 2, "notification": 0, "reporting": 2}, tmp_path / "two", infrastructure
    )
    catalogue = histories.read_catalogue()
    catalogue_events = histories.catalogue_events(
        catalogue, occurred_at=datetime.combine(date(2026, 3, 1), time(8), tzinfo=PROVINCE_TZ)
    )
    history = histories.generate_histories(11, HISTORY_DOSSIERS, HISTORY_START, HISTORY_END, catalogue)
    history_codes = [h[0].data.dossier_code for h in history]  # type: ignore[attr-defined]
    try:
        for deployment in (one, two):
            await topic_admin.ensure_topics(infrastructure.kafka_bootstrap_servers, deployment.topics, PARTITIONS)
            deployment.start()
        await asyncio.gather(*[publish_history(d, catalogue_events, history) for d in (one, two)])
        # Let both fold the imported history first, so that the live lives below are not held up
        # behind it (on a busy machine that backlog alone can outlast the load's patience).
        for deployment in (one, two):
            behind = await topic_admin.wait_caught_up(
                infrastructure.kafka_bootstrap_servers,
                deployment.groups,
                [deployment.topics.catalog_events, deployment.topics.dossier_events],
                patience=300,
            )
            assert behind == 0, f"{deployment.name}: {behind} imported events not consumed"

        # The same seeded lives through the real APIs of both deployments at once.
        async def drive(deployment: Deployment) -> load.Stats:
            procedures = await load.procedures(deployment.url(services.INTAKE), expect=len(catalogue["procedures"]))
            scripts = load.plan(procedures, LIVE_DOSSIERS, seed=5)
            async with load.Driver(
                deployment.url(services.INTAKE),
                deployment.url(services.PROCESSING),
                load.Tokens(SECRET),
                think_seconds=0.2,
                patience_seconds=150,
            ) as driver:
                return await driver.run(scripts, rate=4)

        stats_one, stats_two = await asyncio.gather(drive(one), drive(two))
        assert not stats_one.failures and not stats_two.failures, (stats_one.failures, stats_two.failures)
        for deployment in (one, two):
            behind = await topic_admin.wait_caught_up(
                infrastructure.kafka_bootstrap_servers,
                deployment.groups,
                [deployment.topics.catalog_events, deployment.topics.dossier_events],
                patience=240,
            )
            assert behind == 0, f"{deployment.name}: {behind} events not consumed"

        seen_one = await figures(one, history_codes, stats_one.codes)
        seen_two = await figures(two, history_codes, stats_two.codes)
        applied = {
            f"{service.name}.{i}": await applied_dossier_events(two, service, i)
            for service in (services.PROCESSING, services.REPORTING)
            for i in range(2)
        }
    finally:
        stopped = one.stop() + two.stop()
        for deployment in (one, two):
            deployment.drop_databases()
    assert len(stopped) == 8  # intake, processing, reporting + intake, 2 processing, 2 reporting

    # Both instances of each scaled service did part of the work (each got a partition), by their /metrics.
    assert all(count > 0 for count in applied.values()), applied

    # Same dossiers, same histories, same figures; every event once in a dossier's history.
    for code in history_codes:
        assert essentials(seen_two["dossiers"][code], live=False) == essentials(seen_one["dossiers"][code], live=False)
    assert set(seen_one["live"]) == set(seen_two["live"]) == set(range(LIVE_DOSSIERS))
    for index in seen_one["live"]:
        assert essentials(seen_two["live"][index], live=True) == essentials(seen_one["live"][index], live=True)
    for seen in (seen_one, seen_two):
        for dossier in [*seen["dossiers"].values(), *seen["live"].values()]:
            ids = [entry["event_id"] for entry in dossier["history"]]
            assert len(ids) == len(set(ids)), f"{dossier['code']}: an event applied twice"
    reports_one = {key[1:]: value for key, value in seen_one["reports"].items()}
    for (instance, period, report), value in seen_two["reports"].items():
        assert value == reports_one[(period, report)], f"reporting #{instance}, {period} {report} differ"

    # Not vacuous: the imported quarter and the live day are both in the figures, each dossier once.
    submitted_in_quarter = sum(1 for h in history if h[0].occurred_at.date() < date(2026, 7, 1))
    history_summary = reports_one[("history", "summary")]
    assert history_summary["received"]["total"] == submitted_in_quarter
    assert reports_one[("today", "summary")]["received"]["total"] == LIVE_DOSSIERS
    assert history_summary["resolved"]["total"] > 0
