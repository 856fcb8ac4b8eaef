"""The demo data set: a few months of dossier histories over the sample catalogue (histories.py),
published straight to catalog.events and dossier.events as an import of an older system would, with
their old business times. Imported once per store and topic prefix: a document under a unique _id in
the store says it was done (and the events have fixed ids, so a repeat after a crash applies nothing
twice)."""

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.topics import Topics
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from . import histories

SEED = 2026
STACK_DATABASE = "motcua_stack"


def _store(mongodb_url: str) -> MongoClient[dict[str, Any]]:
    return MongoClient(mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000)


def dossier_count() -> int:
    """MOTCUA_DEMO_DOSSIERS (default 200): how many demo dossiers `up` imports."""
    return int(os.environ.get("MOTCUA_DEMO_DOSSIERS", "200"))


def months() -> int:
    return int(os.environ.get("MOTCUA_DEMO_MONTHS", "4"))


@dataclass(frozen=True)
class Demo:
    start: date  # first day of the demo (inclusive), in the province
    end: date  # the day the histories stop (exclusive): today, so live dossiers never share a code with them
    dossiers: int
    events: int
    imported_now: bool  # False when an earlier `up` had imported it


def window(today: date, span_months: int) -> tuple[date, date]:
    """From the first day of the month `span_months` months back up to (not including) today."""
    month = today.month - span_months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, 1), today


def _mark_id(topics: Topics, count: int) -> str:
    return f"demo:{topics.prefix}:{SEED}:{count}"


def imported(mongodb_url: str, topics: Topics, count: int) -> dict[str, Any] | None:
    with _store(mongodb_url) as client:
        found: dict[str, Any] | None = client[STACK_DATABASE]["imports"].find_one({"_id": _mark_id(topics, count)})
        return found


async def import_demo(
    bootstrap_servers: str, mongodb_url: str, topics: Topics, *, count: int | None = None, today: date | None = None
) -> Demo:
    """Publish the catalogue and `count` dossier histories unless this store already has them."""
    count = count or dossier_count()
    done = await asyncio.to_thread(imported, mongodb_url, topics, count)
    if done is not None:
        return Demo(
            date.fromisoformat(done["start"]),
            date.fromisoformat(done["end"]),
            done["dossiers"],
            done["events"],
            imported_now=False,
        )
    start, end = window(today or datetime.now(PROVINCE_TZ).date(), months())
    # Since 1 July 2025 the sample's districts are dissolved (two-level local government): their work is
    # their successors', and a window reaching back before the date shows both.
    catalogue = histories.two_level(histories.read_catalogue())
    began = datetime.combine(start, datetime.min.time(), tzinfo=PROVINCE_TZ) - timedelta(days=1)
    catalogue_events = histories.catalogue_events(catalogue, occurred_at=began)
    dossiers = histories.generate_histories(SEED, count, start, end, catalogue)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        client_id="motcua-stack-demo",
        linger_ms=20,
    )
    await producer.start()
    try:
        # The catalogue first, acknowledged, so consumers know every procedure before its first dossier.
        await asyncio.gather(
            *[
                await producer.send(
                    topics.catalog_events, event.to_bytes(), key=histories.catalogue_key(event).encode()
                )
                for event in catalogue_events
            ]
        )
        sent = [
            await producer.send(topics.dossier_events, event.to_bytes(), key=event.dossier_id.encode())
            for history in dossiers
            for event in history
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    events = sum(len(history) for history in dossiers)
    mark = {
        "_id": _mark_id(topics, count),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "dossiers": count,
        "events": events,
        "imported_at": datetime.now(UTC),
    }
    await asyncio.to_thread(_mark, mongodb_url, mark)
    return Demo(start, end, count, events, imported_now=True)


def _mark(mongodb_url: str, mark: dict[str, Any]) -> None:
    with _store(mongodb_url) as client:
        try:
            client[STACK_DATABASE]["imports"].insert_one(mark)
        except DuplicateKeyError:
            pass  # a concurrent `up` imported the same events (same ids): nothing is applied twice


async def summary(reporting_url: str, token: str, start: date, end: date) -> dict[str, Any] | None:
    """Reporting's summary for [start, end], or None while it does not answer."""
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(
                f"{reporting_url}/v1/reports/summary",
                params={"from": start.isoformat(), "to": end.isoformat()},
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.TransportError:
        return None
    if not response.is_success:
        return None
    body: dict[str, Any] = response.json()
    return body
