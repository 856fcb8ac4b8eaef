"""A real headless Chromium (Debian's package, driven by Playwright) for the pages' end-to-end tests,
with what they share: where Chromium is, the mark that skips a test without it, the launch, and
where screenshots go. (support/serving.py serves an app over HTTP for it to load.)"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"  # screenshots
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium package is not installed")

# Nothing of its own on the network (updates, sync, first-run pages): a page's requests are the page's.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A Playwright `Browser` on Debian's Chromium, closed at the end."""
    from playwright.async_api import async_playwright  # only where Chromium tests run

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
