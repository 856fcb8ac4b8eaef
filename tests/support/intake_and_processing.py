"""Intake and processing side by side in-process on one test's topics, for a dossier's life through
both services' APIs: the `intake_and_processing` fixture (import `both_running` into the test module,
beside the `topics` fixture it needs: test_processing_support's `own_topics`). Intake's store is the test's
`mongo_db`, processing's the same name with `_p`, dropped at the end."""

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase

from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_intake_support import calendar_options, intake_settings, running_intake
from test_processing_support import processing_settings, running_processing


@dataclass(frozen=True)
class IntakeAndProcessing:
    intake: httpx.AsyncClient
    processing: httpx.AsyncClient


@pytest_asyncio.fixture(loop_scope="session", name="intake_and_processing")
async def both_running(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[IntakeAndProcessing]:
    kafka, mongodb_url = infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url
    processing_db = f"{mongo_db.name}_p"
    try:
        async with (
            running_intake(intake_settings(kafka, mongodb_url, mongo_db.name, topics), **calendar_options()) as intake,
            running_processing(processing_settings(kafka, mongodb_url, processing_db, topics)) as (_, processing),
        ):
            yield IntakeAndProcessing(intake, processing)
    finally:
        await mongo_db.client.drop_database(processing_db)
