"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright), served by the
reporting app over HTTP, showing the hand-computed quarter; screenshots in test-artifacts/."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from motcua_reporting.adapters.read_models import ReadModels
from motcua_reporting.bootstrap import create_app
from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
from motcua_shared.auth import Role, mint_token
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.browser import ARTIFACTS, chromium, needs_chromium
from support.infrastructure import Infrastructure
from support.serving import serving

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue
from test_reporting_oracle import Oracle
from test_reporting_support import (
    SECRET,
    reporting_settings,
    scenario_catalogue,
    scenario_histories,
    scrambled,
)

pytestmark = needs_chromium


@asynccontextmanager
async def dashboard(infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]) -> AsyncIterator[str]:
    """Reporting over the read models folded into `mongo_db` (no consumers), served over HTTP: its URL."""
    settings = reporting_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, Topics("unused.")
    )
    async with serving(create_app(settings, consume=False)) as base_url:
        yield base_url


async def test_the_dashboard_renders_the_quarter(infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]) -> None:
    projections = Projections.of(ReadModels(mongo_db))
    for event in scenario_catalogue():
        await fold_catalogue_event(projections, event)
    for event in scrambled(scenario_histories()):
        await fold_dossier_event(projections, event)
    async with dashboard(infrastructure, mongo_db) as base_url, chromium() as browser:
        official = mint_token(SECRET, Role.OFFICIAL, subject="dashboard-test")
        url = f"{base_url}/dashboard#from=2020-01-01&to=2020-03-31&token={official}"
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(url)
        await page.wait_for_selector("body[data-loaded='2020-01-01..2020-03-31:']", timeout=20_000)
        assert await page.text_content("#received-total") == "9"
        assert await page.text_content("#carried-over") == "3"
        assert await page.text_content("#resolved-total") == "6"
        assert await page.text_content("#on-time-rate") == "50.00%"
        assert await page.text_content("#in-progress") == "4"
        assert await page.text_content("#overdue") == "1"
        assert await page.locator("#chart-channels rect[data-part]").count() == 3
        assert "5 (55.56%)" in (await page.text_content("#chart-channels") or "")
        assert "3 (50.00%)" in (await page.text_content("#chart-timeliness") or "")
        agencies = await page.locator("#chart-agencies g[data-agency]").evaluate_all(
            "gs => gs.map(g => g.dataset.agency)"
        )
        assert agencies == ["STNMT", "STP", "UBND-X", "UBND-X-Y"]
        assert await page.locator("#chart-trend g[data-month]").count() == 3
        assert "the centre received 9 dossiers" in (await page.text_content("#narrative-en") or "")
        await page.screenshot(path=str(ARTIFACTS / "reporting-dashboard-desktop.png"), full_page=True)
        # Nothing from outside: the page works on a machine without internet.
        assert all(u.startswith(f"{base_url}/") for u in requested), requested

        # The agency picker narrows every figure to that agency.
        await page.wait_for_function("document.querySelectorAll('#agency option').length > 4")
        await page.select_option("#agency", "STP")
        await page.click("#show")
        await page.wait_for_selector("body[data-loaded='2020-01-01..2020-03-31:STP']", timeout=20_000)
        assert await page.text_content("#received-total") == "3"
        assert await page.text_content("#on-time-rate") == "0.00%"

        phone = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        await phone.goto(url)
        await phone.wait_for_selector("body[data-loaded]", timeout=20_000)
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        await phone.screenshot(path=str(ARTIFACTS / "reporting-dashboard-phone.png"), full_page=True)


async def test_the_dashboard_renders_a_generated_quarter(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> None:
    """A quarter of generated histories (motcua_stack.histories): the figures on the page are the
    brute-force recount's (test_reporting_oracle.py)."""
    from datetime import date, datetime

    catalogue = read_catalogue()
    calendar = load_calendar()
    histories = generate_histories(2025, 160, date(2024, 11, 1), date(2025, 4, 15), catalogue, calendar=calendar)
    oracle = Oracle(catalogue, histories, calendar)
    expected = oracle.summary(date(2025, 1, 1), date(2025, 3, 31))
    forms = oracle.resolution(date(2025, 1, 1), date(2025, 3, 31))
    projections = Projections.of(ReadModels(mongo_db))
    for event in catalogue_events(catalogue, occurred_at=datetime(2024, 1, 1, tzinfo=PROVINCE_TZ)):
        await fold_catalogue_event(projections, event)
    await projections.dossiers.fold_events([e for h in histories for e in h])
    async with dashboard(infrastructure, mongo_db) as base_url, chromium() as browser:
        official = mint_token(SECRET, Role.OFFICIAL, subject="dashboard-test")
        url = f"{base_url}/dashboard#from=2025-01-01&to=2025-03-31&token={official}"
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(url)
        await page.wait_for_selector("body[data-loaded='2025-01-01..2025-03-31:']", timeout=20_000)
        assert await page.text_content("#received-total") == f"{expected['received']['total']:,}"
        assert await page.text_content("#carried-over") == f"{expected['carried_over']:,}"
        assert await page.text_content("#resolved-total") == f"{expected['resolved']['total']:,}"
        assert await page.text_content("#on-time-rate") == f"{expected['on_time_rate']:.2f}%"
        assert await page.text_content("#in-progress") == f"{expected['in_progress']['total']:,}"
        assert await page.text_content("#overdue") == f"{expected['in_progress']['overdue']:,}"
        direct = expected["received"]["by_channel"]["direct"]
        assert f"{direct['count']} ({direct['percent']:.2f}%)" in (await page.text_content("#chart-channels") or "")
        agencies = await page.locator("#chart-agencies g[data-agency]").evaluate_all(
            "gs => gs.map(g => g.dataset.agency)"
        )
        assert agencies == [a["agency_code"] for a in expected["by_agency"]][:8]
        assert f"received {expected['received']['total']:,} dossiers" in (
            await page.text_content("#narrative-en") or ""
        )
        await page.screenshot(path=str(ARTIFACTS / "reporting-dashboard-generated.png"), full_page=True)
        async with httpx.AsyncClient(base_url=base_url) as client:
            scorecard = await client.get(
                "/v1/reports/scorecard",
                params={"from": "2025-01-01", "to": "2025-03-31"},
                headers={"Authorization": f"Bearer {official}"},
            )
        assert scorecard.status_code == 200, scorecard.text
        await check_forms(page, forms, expected, scorecard.json())


def points(value: float) -> str:
    """As the page writes points: up to two decimals, no trailing zeros."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


async def check_forms(page: Any, forms: dict[str, Any], summary: dict[str, Any], scorecard: dict[str, Any]) -> None:
    """The resolution table shows the recount's cells; a click on a figure lists its dossiers; the
    scorecard renders the API's groups and indicators (a not-assessed one says so) and hides when the
    route answers 404."""
    total = forms["total"]
    cells = await page.locator("#resolution-table tr.total button").evaluate_all(
        "bs => Object.fromEntries(bs.map(b => [b.dataset.figure, b.textContent]))"
    )
    assert cells == {k: f"{v:,}" for k, v in total.items() if k in cells} and len(cells) == 14
    for level in forms["levels"]:
        subtotal = page.locator(f"#resolution-table tr.subtotal[data-level='{level['admin_level']}'] button")
        got = await subtotal.evaluate_all("bs => bs.map(b => b.textContent)")
        assert got[0] == f"{level['subtotal']['to_resolve']:,}", level["admin_level"]
        codes = await page.locator("#resolution-table tbody tr").evaluate_all(
            "trs => trs.filter(t => t.classList.contains('row')).map(t => t.dataset.code)"
        )
        assert set(row["code"] for row in level["rows"]) <= set(codes)
    assert await page.locator("#resolution-table th[colspan]").count() == 4

    # A cell of the resolution table: its dossiers.
    figure = "in_progress_overdue" if 0 < total["in_progress_overdue"] <= 50 else "refused"
    await page.click(f"#resolution-table tr.total button[data-figure='{figure}']")
    await page.wait_for_selector("#dossiers:not([hidden])[data-count]", timeout=10_000)
    assert await page.locator("#dossiers-rows tr").count() == min(50, total[figure])
    await page.wait_for_selector("#scorecard:not([hidden])", timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "reporting-dashboard-forms.png"), full_page=True)
    # A figure of the summary: its dossiers, page after page.
    await page.click("#dossiers-close")
    await page.click(".card[data-figure='received']")
    await page.wait_for_function(
        "document.querySelector('#dossiers-title').textContent.includes('Tiếp nhận')", timeout=10_000
    )
    await page.wait_for_selector("#dossiers:not([hidden])[data-count]", timeout=10_000)
    received = summary["received"]["total"]
    while await page.locator("#dossiers-more:not([hidden])").count():
        before = await page.locator("#dossiers-rows tr").count()
        await page.click("#dossiers-more")
        await page.wait_for_function(f"document.querySelectorAll('#dossiers-rows tr').length > {before}")
    assert await page.locator("#dossiers-rows tr").count() == received

    assert await page.is_visible("#scorecard")
    total_text = f"{points(scorecard['total_points'])} / {points(scorecard['max_points'])}"
    assert await page.text_content("#scorecard-total") == total_text
    indicators = [i for g in scorecard["groups"] for i in g["indicators"]]
    assert await page.locator("#scorecard tr[data-group]").count() == len(scorecard["groups"])
    assert await page.locator("#scorecard tr[data-indicator]").count() == len(indicators)
    not_assessed = [i for i in indicators if not i["assessed"]]
    texts = await page.locator("#scorecard tr[data-assessed='false']").all_text_contents()
    assert len(texts) == len(not_assessed) and all("không đánh giá · not assessed" in t for t in texts)
    for indicator in indicators:
        if indicator["assessed"]:
            row = await page.text_content(f"#scorecard tr[data-indicator='{indicator['code']}']") or ""
            assert f"{points(indicator['points'])} / {points(indicator['max_points'])}" in row, (indicator, row)

    await page.unroute("**/v1/reports/scorecard?*")
    await page.route(
        "**/v1/reports/scorecard?*",
        lambda route: route.fulfill(status=404, json={"error": {"code": "not_found", "message": "Not Found"}}),
    )
    await page.evaluate("document.body.dataset.loaded = ''")
    await page.click("#show")
    await page.wait_for_selector("body[data-loaded='2025-01-01..2025-03-31:']", timeout=20_000)
    assert not await page.is_visible("#scorecard")
