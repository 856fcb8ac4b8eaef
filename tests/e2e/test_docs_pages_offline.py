"""The docs pages render in a real headless Chromium (Debian's package, driven by Playwright) with
every request going to the service itself, as on a closed network: Swagger UI at /docs and the
AsyncAPI viewer at /asyncapi, for a service served over HTTP with its lifespan against the real
broker and store. Screenshots in test-artifacts/."""

import sys
from pathlib import Path
from typing import Any

import pytest
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_openapi_fuzz import serving
from test_security_table import SERVICES, own_topics, settings_for

__all__ = ["own_topics"]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")

# page -> what shows once it rendered (Playwright's locators reach into the viewer's shadow root)
RENDERED = {
    "/docs": ".swagger-ui .opblock-summary-path",
    "/asyncapi": "asyncapi-viewer .badge, asyncapi-viewer [class*=badge]",
}


async def test_docs_pages_render_with_nothing_from_outside(
    infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    from playwright.async_api import async_playwright

    service = SERVICES["processing"]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    ARTIFACTS.mkdir(exist_ok=True)
    async with serving(app) as base_url, async_playwright() as playwright:
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
            for path, rendered in RENDERED.items():
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                requested: list[str] = []
                failed: list[str] = []
                page.on("request", lambda request, seen=requested: seen.append(request.url))
                page.on("requestfailed", lambda request, seen=failed: seen.append(request.url))
                # A closed network: anything for another host is refused.
                await page.route(
                    "**/*", lambda route: route.continue_() if route.request.url.startswith(base_url) else route.abort()
                )
                await page.goto(f"{base_url}{path}")
                await page.locator(rendered).first.wait_for(timeout=20_000)
                await page.wait_for_load_state("networkidle")
                await page.screenshot(path=str(ARTIFACTS / f"docs-offline{path.replace('/', '-')}.png"))
                assert all(u.startswith(f"{base_url}/") for u in requested), (path, requested)
                assert failed == [], (path, failed)
                await page.close()
        finally:
            await browser.close()
