"""The dashboard in a real headless Chromium over a quarter in which nothing was resolved: the on-time
rate card shows a dash (the API's null), never 0.00%."""

import sys
from pathlib import Path
from typing import Any

from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
from motcua_shared.auth import Role, mint_token
from pymongo.asynchronous.database import AsyncDatabase
from support.browser import chromium, needs_chromium
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_reporting_dashboard import dashboard
from test_reporting_support import SECRET, scenario_catalogue, scenario_histories

DASH = "\u2013"  # the dashboard's "no figure"
pytestmark = needs_chromium


async def test_the_on_time_rate_of_nothing_resolved_shows_a_dash(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> None:
    projections = Projections.of(ReadModels(mongo_db))
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    for history in scenario_histories().values():
        for event in history.events:
            await fold_dossier_event(projections, event)
    async with dashboard(infrastructure, mongo_db) as base_url, chromium() as browser:
        official = mint_token(SECRET, Role.OFFICIAL, subject="dashboard-test")
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        # The commune's quarter: one dossier received, none resolved.
        await page.goto(f"{base_url}/dashboard#from=2020-01-01&to=2020-03-31&token={official}")
        await page.wait_for_selector("body[data-loaded='2020-01-01..2020-03-31:']", timeout=20_000)
        assert await page.text_content("#on-time-rate") == "50.00%"
        await page.select_option("#level", "commune")
        await page.click("#show")
        await page.wait_for_function("document.getElementById('received-total').textContent === '1'")
        assert await page.text_content("#resolved-total") == "0"
        assert await page.text_content("#on-time-rate") == DASH
