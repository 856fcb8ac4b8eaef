"""Every service's documentation pages work on a closed network (government networks often are): the
HTML of /docs (Swagger UI) and /asyncapi names no other host, and every script, style, icon and
document it references is served by the service itself (200). /redoc is not served (its bundle
loads its logo from a CDN). Each service runs with its lifespan against the real broker and store,
as test_security_table does."""

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_security_table import SERVICES, own_topics, running, settings_for

__all__ = ["own_topics"]  # the module's topics fixture, shared with the security table

PAGES = ("/docs", "/asyncapi")
# Where a page's own script names a document to fetch: `url: '/openapi.json'`, `spec-url="…"`, `fetch("…")`.
SCRIPT_URL = re.compile(r"""(?:\burl\s*:\s*|spec-url=|\bsrc=|fetch\()\s*['"]([^'"]+)['"]""")


class References(HTMLParser):
    """Every URL a browser would load on its own: src, href of stylesheets and icons, and the
    documents named by the page's inline scripts and custom elements."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.linked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._in_script = tag == "script"
        if values.get("src"):
            self.loaded.append(values["src"])
        if tag == "link" and values.get("href"):
            self.loaded.append(values["href"])
        elif tag == "a" and values.get("href"):
            self.linked.append(values["href"])
        if "-" in tag:  # a custom element (the AsyncAPI viewer) fetching its document
            self.loaded += [v for n, v in values.items() if n in ("src", "spec-url", "url") and v]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.loaded += SCRIPT_URL.findall(data)


def external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_docs_pages_load_nothing_from_outside_and_every_asset_is_served(
    name: str, infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    service = SERVICES[name]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    async with running(app) as client:
        for page in PAGES:
            answer = await client.get(page)
            assert answer.status_code == 200, (name, page, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
            references = References()
            references.feed(answer.text)
            assert references.loaded, (name, page, "references no asset at all")
            outside = [u for u in references.loaded + references.linked if external(u)]
            assert outside == [], (name, page, outside)
            assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", answer.text, re.I), (
                name,
                page,
                "an external host is named in the page",
            )
            for url in references.loaded:
                asset = await client.get(urljoin(f"http://service{page}", url))
                assert asset.status_code == 200, (name, page, url, asset.status_code)
                assert asset.content, (name, page, url)
        assert (await client.get("/redoc")).status_code == 404
