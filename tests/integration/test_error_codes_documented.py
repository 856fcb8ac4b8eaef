"""Every refusal says, in the OpenAPI, which machine-readable codes it may carry: per operation and
status, listed in the description and as an `enum` on `error.code` (so schemathesis, in
test_openapi_fuzz.py, fails on an answer with any other code). Checked three ways: the documents of
the four services; every code their source raises, listed where it can be answered; and every
refusal met by the security table's callers, and by bad bodies and NUL characters, conforming to the
documented schema of its operation and status, against the real broker and store."""

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from motcua_shared.api import ApiError, create_app, error_responses
from motcua_shared.api.errors import REFUSAL_STATUS
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_error_codes_support import conforms, documented_codes, error_statuses, response_schema
from test_openapi_fuzz import fuzz, serving
from test_security_table import CALLERS, PUBLIC, ROWS, SERVICES, Row, own_topics, running, settings_for

__all__ = ["own_topics"]  # the security table's topics fixture, with its seeded dossiers

ROOT = Path(__file__).resolve().parents[2]
RAISED = re.compile(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"')
# A use case's refusal (motcua_shared.refusals), answered at the status of its kind.
REFUSED = re.compile(r"\b(" + "|".join(kind.__name__ for kind in REFUSAL_STATUS) + r')\(\s*"([a-z_]+)"')
STATUS_OF_KIND = {kind.__name__: status for kind, status in REFUSAL_STATUS.items()}
TEMPLATE_ERRORS = re.compile(r'(?:TemplateError|super\(\).__init__)\(\s*"([a-z_]+)"')
# Raised where no operation of the OpenAPI answers them: the applicant's HTML tracking page (not in
# the OpenAPI) and the shared handlers of paths and methods that are no operation at all.
NOT_OPERATIONS = {"tracking_page.py"}


def openapi_of(name: str) -> dict[str, Any]:
    service = SERVICES[name]
    app: FastAPI = service.create_app(settings_for(service, None, "unused", Topics("unused.")))
    return app.openapi()


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in openapi["paths"].items() for method, operation in item.items()]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_refusal_lists_its_codes(name: str) -> None:
    openapi = openapi_of(name)
    for method, path, operation in operations(openapi):
        where = f"{name} {method.upper()} {path}"
        statuses = error_statuses(operation)
        if operation.get("security"):
            assert {401, 403} <= set(statuses), where
            assert "WWW-Authenticate" in statuses[401].get("headers", {}), where
        if path.startswith("/v1/"):
            assert "store_unavailable" in documented_codes(response_schema(openapi, method, path, 503) or {}), where
        for status, response in statuses.items():
            schema = response_schema(openapi, method, path, status)
            assert schema is not None, f"{where} {status}: no JSON schema"
            codes = documented_codes(schema)
            assert codes and len(codes) == len(set(codes)), f"{where} {status}: codes {codes}"
            assert all(re.fullmatch(r"[a-z_]+", code) for code in codes), f"{where} {status}: {codes}"
            for code in codes:
                assert f"`{code}`" in response["description"], f"{where} {status}: {code} not described"
            assert "x-error-codes" not in response, where


def _raised_in(package: Path) -> set[tuple[int, str]]:
    raised: set[tuple[int, str]] = set()
    for source in package.rglob("*.py"):
        if source.name in NOT_OPERATIONS:
            continue
        text = source.read_text(encoding="utf-8")
        raised |= {(int(status), code) for status, code in RAISED.findall(text)}
        raised |= {(STATUS_OF_KIND[kind], code) for kind, code in REFUSED.findall(text)}
        if source.name == "templates.py" and "domain" in source.parts:  # refused texts: 422 (routes/templates.py)
            raised |= {(422, code) for code in TEMPLATE_ERRORS.findall(text)}
    return raised


def _answered(openapi: dict[str, Any]) -> set[tuple[int, str]]:
    return {
        (status, code)
        for method, path, operation in operations(openapi)
        for status in error_statuses(operation)
        for code in documented_codes(response_schema(openapi, method, path, status) or {})
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_code_the_service_raises_is_listed(name: str) -> None:
    """Each `ApiError(status, "code")` and refusal (`NotFound("code")`, at its kind's status) of the
    service's source (and its exception handlers' codes) is in the OpenAPI at that status; so are the
    shared auth codes behind a token."""
    raised = _raised_in(next(ROOT.glob(f"{name}-service/src/motcua_{name}")))
    handlers = {"processing": {(409, "illegal_transition"), (422, "payment_amount_mismatch")}}
    raised |= handlers.get(name, set())
    raised |= {
        (401, "unauthenticated"),
        (401, "invalid_token"),
        (403, "forbidden_role"),
        (422, "validation_failed"),
        (422, "invalid_character"),
        (503, "store_unavailable"),
    }
    assert raised - _answered(openapi_of(name)) == set()


def _refusals(response: httpx.Response, where: str, openapi: dict[str, Any], method: str, path: str) -> list[str]:
    if response.status_code < 400:
        return []
    body: Any = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if not conforms(openapi, method, path, response.status_code, body):
        return [f"{where}: {response.status_code} {response.text[:200]} is not what the OpenAPI documents"]
    return []


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_every_refusal_a_caller_meets_is_documented(
    name: str, infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    service = SERVICES[name]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    openapi = app.openapi()
    wrong: list[str] = []
    async with running(app) as client:
        if service.seed is not None:
            await service.seed(infrastructure, own_topics, client)
        for row in ROWS[name]:
            operation = openapi["paths"][row.template][row.method.lower()]
            for caller in CALLERS:
                headers = {**caller.headers(), "Idempotency-Key": str(uuid.uuid4())}
                url = row.path or row.template
                probes: list[tuple[str, dict[str, Any]]] = [
                    ("as is", {"params": row.params, "json": row.body}),
                ]
                if operation.get("parameters"):
                    probes.append(("NUL in the query", {"params": {**row.params, "x": "a\x00b"}, "json": row.body}))
                if "requestBody" in operation:
                    probes.append(
                        (
                            "not JSON",
                            {
                                "params": row.params,
                                "content": b"{not json",
                                "headers": {"Content-Type": "application/json"},
                            },
                        )
                    )
                    probes.append(
                        (
                            "text/plain",
                            {"params": row.params, "content": b"x", "headers": {"Content-Type": "text/plain"}},
                        )
                    )
                for probe, options in probes:
                    sent = {**headers, **options.pop("headers", {})}
                    response = await client.request(row.method, url, headers=sent, **options)
                    where = f"{row.method} {url} {row.note} as {caller.label}, {probe}"
                    wrong += _refusals(response, where, openapi, row.method, row.template)
    assert not wrong, f"{len(wrong)} refusals of {name} are not documented:\n" + "\n".join(wrong)


# --- the fuzz test enforces the codes -------------------------------------------------------------


def _thing_app(answered: str) -> FastAPI:
    """An app whose one route documents 404 `thing_not_found` and answers 404 `answered`."""
    app = create_app(title="things")

    @app.get("/v1/things/{name}", responses=error_responses({404: ["thing_not_found"]}, store=False))
    async def thing(name: str) -> dict[str, str]:
        raise ApiError(404, answered, f"no thing {name}")

    return app


@pytest.mark.parametrize(("answered", "fails"), [("thing_not_found", False), ("thing_gone", True)])
async def test_the_fuzz_test_refuses_an_undocumented_code(answered: str, fails: bool) -> None:
    app = _thing_app(answered)
    openapi = app.openapi()
    openapi["paths"] = {p: item for p, item in openapi["paths"].items() if p.startswith("/v1/")}
    async with serving(app) as base_url:
        failures = await asyncio.to_thread(fuzz, openapi, base_url, [Row("GET", "/v1/things/{name}", PUBLIC, 404)])
    assert bool(failures) is fails, failures
    if fails:
        assert "thing_gone" in failures[0] or "thing_not_found" in failures[0], failures[0]
