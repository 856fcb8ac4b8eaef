"""The applicant's tracking page (GET /track) through intake's HTTP API against the real broker and
store: the receipt links to it with the code filled in, from the public base URL; it asks for the
code and phone, in Vietnamese and English, and shows the status and the result date; it loads
nothing from elsewhere."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest_asyncio
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    running_intake,
    seed_catalogue,
    token,
)

PHONE = "0912345678"
PUBLIC_BASE_URL = "https://motcua.example.vn/"


@pytest_asyncio.fixture(loop_scope="session")
async def intake(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mongodb_url,
        mongo_db.name,
        topics,
        public_base_url=PUBLIC_BASE_URL,
    )
    async with running_intake(settings, **calendar_options()) as client:
        yield client


async def submit(client: httpx.AsyncClient, channel: str) -> dict[str, Any]:
    agency = f"P{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(client, agency, {f"{agency}.1": 4})
    caller = token(Role.OFFICER, agency=agency) if channel == "direct" else token(Role.APPLICANT)
    response = await client.post(
        "/v1/dossiers", headers=idem(caller), json=dossier_body(f"{agency}.1", agency, channel, phone=PHONE)
    )
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def assert_self_contained(page: httpx.Response) -> None:
    """Readable on a phone, nothing loaded from outside, and a policy that says so."""
    html = page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta name="viewport"' in html
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", html, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["cache-control"] == "no-store"


async def test_the_receipt_links_to_the_tracking_page_with_the_code_filled_in(intake: httpx.AsyncClient) -> None:
    receipt = await submit(intake, "online")
    code = receipt["dossier_code"]
    assert receipt["tracking_url"] == f"https://motcua.example.vn/track?code={code}"

    link = urlsplit(receipt["tracking_url"])
    page = await intake.get(f"{link.path}?{link.query}")
    assert page.status_code == 200, page.text
    assert_self_contained(page)
    html = page.text
    assert '<html lang="vi">' in html
    assert re.search(r'<form[^>]*method="get"', html)
    assert re.search(rf'<input[^>]*name="code"[^>]*value="{re.escape(code)}"', html)
    assert re.search(r'<input[^>]*name="phone"[^>]*type="tel"', html)
    # Vietnamese first, English beside it.
    assert html.index("Mã hồ sơ") < html.index("Dossier code")
    assert html.index("Số điện thoại") < html.index("Phone number")
    assert "Tra cứu" in html and "Track" in html


async def test_the_page_shows_the_status_and_the_result_date_to_the_right_phone(intake: httpx.AsyncClient) -> None:
    receipt = await submit(intake, "direct")
    code = receipt["dossier_code"]

    page = await intake.get("/track", params={"code": code, "phone": "+84 912 345 678"})
    assert page.status_code == 200, page.text
    assert_self_contained(page)
    appointment = datetime.fromisoformat(receipt["appointment_at"])
    assert "Đã tiếp nhận" in page.text and "Accepted" in page.text
    assert appointment.strftime("%d/%m/%Y") in page.text and appointment.strftime("%H:%M") in page.text
    assert "Ngày hẹn trả kết quả" in page.text and "Result date" in page.text

    wrong = await intake.get("/track", params={"code": code, "phone": "0987654321"})
    unknown = await intake.get("/track", params={"code": f"{code}9", "phone": PHONE})
    assert wrong.status_code == unknown.status_code == 404
    for page in (wrong, unknown):
        assert_self_contained(page)
        assert "Không tìm thấy hồ sơ" in page.text and "No dossier" in page.text
        assert "Đã tiếp nhận" not in page.text and receipt["appointment_at"][:10] not in page.text


async def test_the_page_escapes_what_it_is_given(intake: httpx.AsyncClient) -> None:
    page = await intake.get("/track", params={"code": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert_self_contained(page)


async def test_the_bare_page_asks_for_both(intake: httpx.AsyncClient) -> None:
    page = await intake.get("/track")
    assert page.status_code == 200
    assert_self_contained(page)
    assert re.search(r'<input[^>]*name="code"[^>]*value=""', page.text)
