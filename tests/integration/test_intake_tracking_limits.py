"""Tracking cannot be used to guess phones or walk the (sequential) dossier codes: failed attempts
are limited per dossier code and per client, with 429 `too_many_attempts` and Retry-After, on the
API and on the applicant's page alike. Through intake's HTTP API against the real broker and store."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    running_intake_app,
    seed_catalogue,
    token,
)

PHONE = "0912345678"
WRONG_PHONES = [f"09876543{n:02d}" for n in range(12)]


@asynccontextmanager
async def intake_app(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any], **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics, **overrides
    )
    async with running_intake_app(settings, **calendar_options()) as running:
        yield running


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another caller of the same intake, from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


async def counter_dossier(client: httpx.AsyncClient) -> str:
    agency = f"L{uuid.uuid4().hex[:6].upper()}"
    await seed_catalogue(client, agency, {f"{agency}.1": 4})
    response = await client.post(
        "/v1/dossiers",
        headers=idem(token(Role.OFFICER, agency=agency)),
        json=dossier_body(f"{agency}.1", agency, "direct", phone=PHONE),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["dossier_code"])


def assert_limited(response: httpx.Response, *, window: float = 900) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= window


async def test_twelve_wrong_phones_on_one_code_are_not_all_answered(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    """The defaults: five failed attempts per code in fifteen minutes, then 429, even with the right
    phone (else the answer would tell the guess was right). Other codes and other callers go on."""
    async with intake_app(infrastructure, topics, mongo_db) as (app, intake):
        code = await counter_dossier(intake)
        statuses = []
        for phone in WRONG_PHONES:
            response = await intake.get(f"/v1/track/{code}", params={"phone": phone})
            statuses.append(response.status_code)
        assert statuses == [404] * 5 + [429] * 7
        limited = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
        assert_limited(limited)
        assert limited.json()["error"]["code"] == "too_many_attempts"
        async with client_at(app, "203.0.113.7") as someone_else:
            assert_limited(await someone_else.get(f"/v1/track/{code}", params={"phone": PHONE}))

        # The page counts the same attempts.
        page = await intake.get("/track", params={"code": code, "phone": PHONE})
        assert_limited(page)
        assert "Quá nhiều lần tra cứu" in page.text and "Too many attempts" in page.text

        other = await counter_dossier(intake)
        assert (await intake.get(f"/v1/track/{other}", params={"phone": PHONE})).status_code == 200


async def test_one_client_walking_the_codes_is_limited(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    """Twenty failed attempts per client in fifteen minutes (by default), whichever codes they name;
    answered attempts are not counted."""
    async with intake_app(infrastructure, topics, mongo_db) as (app, intake):
        code = await counter_dossier(intake)
        agency_day = code.rsplit("-", 1)[0]
        for _ in range(25):
            assert (await intake.get(f"/v1/track/{code}", params={"phone": PHONE})).status_code == 200
        statuses = []
        for n in range(2, 24):
            response = await intake.get(f"/v1/track/{agency_day}-{n:04d}", params={"phone": PHONE})
            statuses.append(response.status_code)
        assert statuses == [404] * 20 + [429] * 2
        assert_limited(await intake.get(f"/v1/track/{code}", params={"phone": PHONE}))
        async with client_at(app, "203.0.113.8") as someone_else:
            assert (await someone_else.get(f"/v1/track/{code}", params={"phone": PHONE})).status_code == 200
            missing = await someone_else.get(f"/v1/track/{agency_day}-0099", params={"phone": PHONE})
            assert missing.status_code == 404


async def test_the_limits_are_settings_and_a_window_passes(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    async with intake_app(
        infrastructure,
        topics,
        mongo_db,
        tracking_failures_per_code=2,
        tracking_failures_per_client=3,
        tracking_window_seconds=2,
    ) as (_, intake):
        code = await counter_dossier(intake)
        for phone in WRONG_PHONES[:2]:
            assert (await intake.get(f"/v1/track/{code}", params={"phone": phone})).status_code == 404
        assert_limited(await intake.get(f"/v1/track/{code}", params={"phone": PHONE}), window=2)
        assert (await intake.get(f"/v1/track/{code}9", params={"phone": PHONE})).status_code == 404
        assert_limited(await intake.get(f"/v1/track/{code}8", params={"phone": PHONE}), window=2)
        await asyncio.sleep(2.1)
        assert (await intake.get(f"/v1/track/{code}", params={"phone": PHONE})).status_code == 200
