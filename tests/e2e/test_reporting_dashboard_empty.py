"""The dashboard in a real headless Chromium over a quarter in which nothing was resolved: the on-time
rate card shows a dash (the API's null), never 0.00%."""

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.bootstrap import create_app
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
from motcua_shared.auth import Role, mint_token
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_reporting_dashboard import CHROMIUM, free_port
from test_reporting_support import SECRET, reporting_settings, scenario_catalogue, scenario_histories

DASH = "\u2013"  # the dashboard's "no figure"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")


async def test_the_on_time_rate_of_nothing_resolved_shows_a_dash(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> None:
    from playwright.async_api import async_playwright

    projections = Projections.of(ReadModels(mongo_db))
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    for history in scenario_histories().values():
        for event in history.events:
            await fold_dossier_event(projections, event)
    settings = reporting_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, Topics("unused.")
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, consume=False), host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 -- uvicorn offers a flag, not an event
            await asyncio.sleep(0.05)
        official = mint_token(SECRET, Role.OFFICIAL, subject="dashboard-test")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                # The commune's quarter: one dossier received, none resolved.
                await page.goto(f"http://127.0.0.1:{port}/dashboard#from=2020-01-01&to=2020-03-31&token={official}")
                await page.wait_for_selector("body[data-loaded='2020-01-01..2020-03-31:']", timeout=20_000)
                assert await page.text_content("#on-time-rate") == "50.00%"
                await page.select_option("#level", "commune")
                await page.click("#show")
                await page.wait_for_function("document.getElementById('received-total').textContent === '1'")
                assert await page.text_content("#resolved-total") == "0"
                assert await page.text_content("#on-time-rate") == DASH
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await serving
