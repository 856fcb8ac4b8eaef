"""Bad input gets a 4xx with a machine-readable code in the one error shape, never a 500."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    ADMIN,
    calendar_options,
    dossier_body,
    idem,
    intake_settings,
    running_intake,
    seed_catalogue,
    token,
)


@pytest_asyncio.fixture(loop_scope="session")
async def catalogued(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An intake with agency X… offering procedures X….2 (level 2), X….4 (level 4) and X….old (retired)."""
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    agency = f"X{uuid.uuid4().hex[:6].upper()}"
    async with running_intake(settings, **calendar_options()) as client:
        await seed_catalogue(client, agency, {f"{agency}.2": 2, f"{agency}.4": 4, f"{agency}.old": 4})
        retire = await client.post(f"/v1/procedures/{agency}.old/retire", headers=idem(ADMIN))
        assert retire.status_code == 200
        yield client, agency


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


async def test_invalid_fields_are_named(catalogued: tuple[httpx.AsyncClient, str]) -> None:
    client, agency = catalogued
    body = dossier_body(f"{agency}.4", agency, "carrier-pigeon")
    body["applicant"]["phone"] = "call me"
    del body["applicant"]["full_name"]
    r = await client.post("/v1/dossiers", headers=idem(token(Role.APPLICANT)), json=body)
    assert r.status_code == 422
    error = error_of(r)
    assert error["code"] == "validation_failed"
    assert {f["field"] for f in error["fields"]} == {"body.channel", "body.applicant.phone", "body.applicant.full_name"}

    r = await client.post(
        "/v1/dossiers", headers=token(Role.APPLICANT), json=dossier_body(f"{agency}.4", agency, "online")
    )
    assert r.status_code == 422 and error_of(r)["fields"][0]["field"] == "header.Idempotency-Key"

    r = await client.post(
        "/v1/dossiers",
        headers={**idem(token(Role.APPLICANT)), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_json"


async def test_a_body_over_one_mebibyte_is_refused(catalogued: tuple[httpx.AsyncClient, str]) -> None:
    client, agency = catalogued
    body = dossier_body(f"{agency}.4", agency, "online")
    body["applicant"]["address"] = "x" * (1024 * 1024)
    r = await client.post("/v1/dossiers", headers=idem(token(Role.APPLICANT)), json=body)
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"


async def test_catalogue_refusals(catalogued: tuple[httpx.AsyncClient, str]) -> None:
    client, agency = catalogued
    applicant = idem(token(Role.APPLICANT))
    cases = [
        (dossier_body("no.such.procedure", agency, "online"), 404, "procedure_not_found"),
        (dossier_body(f"{agency}.2", agency, "online"), 422, "online_submission_not_allowed"),
        (dossier_body(f"{agency}.old", agency, "online"), 409, "procedure_retired"),
        (dossier_body(f"{agency}.4", "STP", "online"), 422, "procedure_not_of_agency"),
    ]
    for body, status, code in cases:
        r = await client.post("/v1/dossiers", headers=idem(applicant), json=body)
        assert (r.status_code, error_of(r)["code"]) == (status, code), body["procedure_code"]

    # A level-2 procedure is still received at the counter.
    r = await client.post(
        "/v1/dossiers",
        headers=idem(token(Role.OFFICER, agency=agency)),
        json=dossier_body(f"{agency}.2", agency, "direct"),
    )
    assert r.status_code == 201

    r = await client.post(
        "/v1/procedures",
        headers=idem(ADMIN),
        json={
            "procedure_code": "P.1",
            "name": "x",
            "agency_code": "NO-SUCH-AGENCY",
            "online_level": 3,
            "processing_time": {"value": 1, "unit": "working_days"},
        },
    )
    assert r.status_code == 404 and error_of(r)["code"] == "agency_not_found"
    r = await client.post("/v1/procedures/NO.SUCH/retire", headers=idem(ADMIN))
    assert r.status_code == 404 and error_of(r)["code"] == "procedure_not_found"


async def test_roles_and_tokens(catalogued: tuple[httpx.AsyncClient, str]) -> None:
    client, agency = catalogued
    direct = dossier_body(f"{agency}.4", agency, "direct")
    cases = [
        ({}, direct, 401, "unauthenticated"),
        ({"Authorization": "Bearer not-a-token"}, direct, 401, "invalid_token"),
        (token(Role.APPLICANT), direct, 403, "forbidden_role"),
        (token(Role.INTEGRATOR), direct, 403, "forbidden_role"),
        # Another agency of the province may receive it (test_cross_boundary.py); one unknown to it may not.
        (token(Role.OFFICER, agency="NOT-CATALOGUED"), direct, 403, "forbidden_agency"),
        (token(Role.OFFICIAL), direct, 403, "forbidden_role"),
        (token(Role.ADMIN), direct, 403, "forbidden_role"),
        (token(Role.OFFICER, agency=agency), dossier_body(f"{agency}.4", agency, "online"), 403, "forbidden_role"),
    ]
    for headers, body, status, code in cases:
        r = await client.post("/v1/dossiers", headers=idem(headers), json=body)
        assert (r.status_code, error_of(r)["code"]) == (status, code), (headers, body["channel"])

    agency_body = {"agency_code": "NEW", "name": "Sở mới", "admin_level": "provincial"}
    r = await client.post("/v1/agencies", headers=idem(token(Role.OFFICER, agency=agency)), json=agency_body)
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden_role"
    r = await client.post("/v1/agencies", headers=idem(), json=agency_body)
    assert r.status_code == 401
    r = await client.post(
        "/v1/payments/callback",
        headers=idem(token(Role.APPLICANT)),
        json={"dossier_code": f"{agency}-200101-0001", "amount": 1},
    )
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden_role"
