"""Schemathesis against each service's own OpenAPI: requests generated from the schema, valid and
invalid, sent over HTTP to the service running with its lifespan against the real broker and store,
with a token of a role that may call each endpoint. Every answer must be other than a 5xx and match
what the schema says (status documented, content type, body schema). Examples are limited so that
each service takes well under a minute."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from motcua_shared.auth import Role
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.infrastructure import Infrastructure
from support.serving import serving
from test_security_table import ROWS, SERVICES, Caller, Row, Scope, own_topics, settings_for

__all__ = ["own_topics"]  # the module's topics fixture, shared with the security table
# Schemathesis's own strategies use `random`; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}  # per operation and service: < 60 s each


def caller_for(row: Row) -> dict[str, str]:
    """A token that may make the call: unscoped where the role allows any agency, else scoped to the
    table's own agency; none for public endpoints."""
    if row.who is None:
        return {}
    ranked = sorted(row.who.items(), key=lambda item: (Scope.NONE not in item[1], item[0].value))
    role, scopes = ranked[0]
    return Caller("fuzz", role, Scope.NONE if Scope.NONE in scopes else Scope.OWN).headers()


def fuzz(openapi: dict[str, Any], base_url: str, rows: list[Row]) -> list[str]:
    """Run every operation's examples; the failures, one line each."""
    schema = schemathesis.openapi.from_dict(openapi)
    auth = {(row.method, row.template): caller_for(row) for row in rows}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = auth[(operation.method.upper(), operation.path)]
        for mode, examples in EXAMPLES.items():
            try:
                run_examples(operation, mode, examples, base_url, headers)
            except Unsatisfiable:
                continue  # nothing to make invalid (an operation without parameters or body)
            except (Exception, BaseExceptionGroup) as exc:  # failed checks, with the reproducing request
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({mode.value}): "
                    f"{type(exc).__name__}: {str(exc)[:1500]}"
                )
    return failures


def run_examples(operation: Any, mode: GenerationMode, examples: int, base_url: str, headers: dict[str, str]) -> None:
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=15)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_openapi_fuzz(
    name: str, infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    service = SERVICES[name]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    async with serving(app) as base_url:
        # The generator and the blocking HTTP client run in a thread; the app answers on this loop.
        failures = await asyncio.to_thread(fuzz, app.openapi(), base_url, ROWS[name])
    assert not failures, f"{len(failures)} operations of {name} failed:\n\n" + "\n\n".join(failures)


def test_each_service_has_a_caller_for_every_operation() -> None:
    for name, rows in ROWS.items():
        for row in rows:
            if row.who is not None:
                assert caller_for(row)["Authorization"].startswith("Bearer "), (name, row.template)


# --- what the fuzzing found, pinned down --------------------------------------------------------


@contextlib.asynccontextmanager
async def reporting_over(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], names: dict[str, str]
) -> AsyncIterator[Any]:
    """A reporting API over one online dossier for each agency of `names` {code: name}, folded
    straight into the store."""
    import httpx
    from motcua_reporting.adapters.read_models import ReadModels
    from motcua_reporting.bootstrap import create_app
    from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
    from test_reporting_support import History, agency, procedure, vn

    projections = Projections.of(ReadModels(mongo_db))
    for i, (code, name) in enumerate(names.items()):
        await fold_catalogue_event(projections, agency(code, name, "provincial"))
        await fold_catalogue_event(projections, procedure(f"P{i}", code, "provincial", 4, None))
        for event in History(f"D{i}", code, f"P{i}", "online", vn(2020, 1, 6)).events:
            await fold_dossier_event(projections, event)
    settings = settings_for(SERVICES["reporting"], infrastructure, mongo_db.name, Topics("unused."))
    app = create_app(settings, consume=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            yield client


async def test_agency_names_from_events_cannot_break_or_script_the_xlsx_export(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> None:
    """Found by fuzzing: intake accepted an agency name with a control character, reporting folded it,
    and the XLSX export answered 500. A name starting with "=" must stay text, not become a formula."""
    import io

    from openpyxl import load_workbook

    names = {"SEC-CTRL": "Sở\x07 thử\x1b", "SEC-FORMULA": '=HYPERLINK("http://evil.example","Sở")'}
    official = Caller("official", Role.OFFICIAL, Scope.NONE).headers()
    async with reporting_over(infrastructure, mongo_db, names) as client:
        response = await client.get(
            "/v1/reports/agencies.xlsx", params={"from": "2020-01-01", "to": "2020-03-31"}, headers=official
        )
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert cells["SEC-CTRL"].value == "Sở thử"
    assert cells["SEC-FORMULA"].value == names["SEC-FORMULA"] and cells["SEC-FORMULA"].data_type == "s"


@pytest.mark.parametrize(
    "period", [{"from": "0001-01-01", "to": "0001-01-01"}, {"from": "9999-12-30", "to": "9999-12-31"}]
)
async def test_report_dates_at_the_ends_of_the_calendar_are_422(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any], period: dict[str, str]
) -> None:
    """Found by fuzzing: from=0001-01-01 overflowed the province's midnight and answered 500."""
    official = Caller("official", Role.OFFICIAL, Scope.NONE).headers()
    async with reporting_over(infrastructure, mongo_db, {}) as client:
        response = await client.get("/v1/reports/summary", params=period, headers=official)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_period"
