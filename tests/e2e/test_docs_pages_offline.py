"""The docs pages render in a real headless Chromium (Debian's package, driven by Playwright) with
every request going to the service itself, as on a closed network: Swagger UI at /docs and the
AsyncAPI viewer at /asyncapi, for a service served over HTTP with its lifespan against the real
broker and store. Screenshots in test-artifacts/."""

import sys
from pathlib import Path
from typing import Any

from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.browser import ARTIFACTS, chromium, needs_chromium
from support.infrastructure import Infrastructure
from support.serving import serving

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_security_table import SERVICES, own_topics, settings_for

__all__ = ["own_topics"]
pytestmark = needs_chromium

# page -> what shows once it rendered (Playwright's locators reach into the viewer's shadow root)
RENDERED = {
    "/docs": ".swagger-ui .opblock-summary-path",
    "/asyncapi": "asyncapi-viewer .badge, asyncapi-viewer [class*=badge]",
}


async def test_docs_pages_render_with_nothing_from_outside(
    infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    service = SERVICES["processing"]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    async with serving(app) as base_url, chromium() as browser:
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
