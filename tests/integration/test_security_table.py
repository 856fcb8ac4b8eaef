"""Who may call what: every endpoint of every service (taken from the service's own OpenAPI, so an
endpoint added without a row here fails) against every kind of caller (no token, a badly signed
token, an expired token, and each role with a token scoped to the resource's agency, to another
agency, or to none), each cell an expected outcome: allowed (past authorisation: any answer but 401
or 403, and never a 5xx), 401 or 403. The apps run with their lifespans against the real broker
and store.

To add a service: add a `ServiceUnderTest` to `SERVICES` and its rows to `ROWS` (a test fails until
every service with an API is there)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from fastapi import FastAPI
from motcua_shared import events as ev
from motcua_shared.auth import Role, mint_token
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure

SECRET = "security-table-test-secret-of-32-bytes-or-more"
OWN, OTHER = "SEC-A", "SEC-B"  # the agency of every resource in the table, and another one
DOSSIER_CODE = "SEC-A-260101-0001"  # a refused dossier of OWN in processing: every action is 409 once past auth
UNKNOWN_CODE = "SEC-A-000000-9999"
NOTIFIED_CODE = "SEC-A-260101-0002"  # a dossier of OWN that notification knows (its agency decides access)


# --- callers ----------------------------------------------------------------------------------


class Scope(Enum):
    OWN = "own agency"
    OTHER = "other agency"
    NONE = "no agency"


@dataclass(frozen=True)
class Caller:
    label: str
    role: Role | None = None  # None: no valid token at all
    scope: Scope | None = None
    header: str | None = None

    def headers(self) -> dict[str, str]:
        if self.header is not None:
            return {"Authorization": self.header}
        if self.role is None:
            return {}
        agency = {Scope.OWN: OWN, Scope.OTHER: OTHER, Scope.NONE: None}[self.scope or Scope.NONE]
        value = mint_token(SECRET, self.role, subject=f"sec-{self.role.value}", agency_code=agency)
        return {"Authorization": f"Bearer {value}"}


def _expired() -> str:
    past = datetime.now(UTC) - timedelta(hours=2)
    claims = {
        "sub": "sec-officer",
        "role": "officer",
        "agency_code": OWN,
        "iss": "motcua",
        "aud": "motcua",
        "iat": past,
        "exp": past + timedelta(hours=1),
    }
    return "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")


ANONYMOUS = [
    Caller("no token"),
    Caller(
        "bad signature",
        header="Bearer " + mint_token("another-secret-of-32-bytes-or-more!!", Role.ADMIN, subject="forger"),
    ),
    Caller("expired", header=_expired()),
    Caller("not a JWT", header="Bearer not-a-token"),
]
CALLERS = ANONYMOUS + [Caller(f"{r.value}/{s.value}", r, s) for r in Role for s in Scope]


# --- the table ----------------------------------------------------------------------------------

PUBLIC = None  # a row's `who` for endpoints anyone may call


@dataclass(frozen=True)
class Row:
    """One request to an endpoint, and who may make it: {role: the agency scopes allowed}."""

    method: str
    template: str  # the path as the OpenAPI names it
    who: dict[Role, frozenset[Scope]] | None
    answer: int  # the status of an allowed call (the request is built so that it is this one)
    path: str | None = None  # the concrete path; the template when None
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    note: str = ""

    def expected(self, caller: Caller) -> str:
        if self.who is PUBLIC:
            return "allowed"
        if caller.role is None:
            return "401"
        scopes = self.who.get(caller.role)
        if scopes is None or caller.scope not in scopes:
            return "403"
        return "allowed"


ANY = frozenset(Scope)
OWN_OR_NONE = frozenset({Scope.OWN, Scope.NONE})  # scoped to the resource's agency, or to none (all)
ONLY_OWN = frozenset({Scope.OWN})

APPLICANT_SIDE = {Role.APPLICANT: ANY, Role.INTEGRATOR: ANY}
ADMIN = {Role.ADMIN: ANY}
PERIOD = {"from": "2020-01-01", "to": "2020-03-31", "agency_code": OWN}


def applicant_body(channel: str) -> dict[str, Any]:
    return {
        "procedure_code": "SEC-NO-SUCH-PROCEDURE",
        "agency_code": OWN,
        "channel": channel,
        "applicant": {"full_name": "Nguyễn Văn An", "phone": "0912345678"},
    }


# What every service's shared app serves: liveness, readiness, Prometheus metrics, its AsyncAPI.
OPERATIONS = [
    Row("GET", path, PUBLIC, 200) for path in ("/health", "/ready", "/metrics", "/asyncapi.json", "/asyncapi")
]

ROWS: dict[str, list[Row]] = {
    "intake": [
        *OPERATIONS,
        Row("GET", "/v1/agencies", PUBLIC, 200),
        Row(
            "POST",
            "/v1/agencies",
            ADMIN,
            201,
            body={"agency_code": OWN, "name": "Sở thử an ninh", "admin_level": "provincial"},
        ),
        Row("GET", "/v1/procedures", PUBLIC, 200),
        Row(
            "POST",
            "/v1/procedures",
            ADMIN,
            201,
            body={
                "procedure_code": "SEC.1",
                "name": "Thủ tục an ninh",
                "agency_code": OWN,
                "online_level": 4,
                "processing_time": {"value": 5, "unit": "working_days"},
            },
        ),
        Row("GET", "/v1/procedures/{procedure_code}", PUBLIC, 200, "/v1/procedures/SEC.1"),
        Row("POST", "/v1/procedures/{procedure_code}/retire", ADMIN, 404, "/v1/procedures/SEC-NO-SUCH/retire"),
        Row(
            "POST",
            "/v1/agencies/{agency_code}/supersession",
            ADMIN,
            404,
            "/v1/agencies/SEC-NO-SUCH/supersession",
            body={"successor_code": OWN, "effective_date": "2025-07-01"},
        ),
        # The channel decides who may submit; an officer only for their own agency. An unknown
        # procedure makes an allowed call stop at 404, after authorisation, without publishing.
        Row("POST", "/v1/dossiers", {Role.OFFICER: ONLY_OWN}, 404, body=applicant_body("direct"), note="direct"),
        Row(
            "POST",
            "/v1/dossiers",
            {Role.OFFICER: ONLY_OWN, Role.INTEGRATOR: ANY},
            404,
            body=applicant_body("postal"),
            note="postal",
        ),
        Row("POST", "/v1/dossiers", APPLICANT_SIDE, 404, body=applicant_body("online"), note="online"),
        Row(
            "POST",
            "/v1/dossiers/{code}/supplements",
            APPLICANT_SIDE,
            404,
            f"/v1/dossiers/{UNKNOWN_CODE}/supplements",
            body={"phone": "0912345678", "documents": [{"name": "Giấy tờ bổ sung.pdf"}]},
        ),
        Row(
            "POST",
            "/v1/dossiers/{code}/withdrawal",
            APPLICANT_SIDE,
            404,
            f"/v1/dossiers/{UNKNOWN_CODE}/withdrawal",
            body={"phone": "0912345678"},
        ),
        Row(
            "POST",
            "/v1/dossiers/{code}/rating",
            APPLICANT_SIDE,
            404,
            f"/v1/dossiers/{UNKNOWN_CODE}/rating",
            body={"phone": "0912345678", "rating": "satisfied"},
        ),
        Row(
            "POST",
            "/v1/payments/callback",
            {Role.INTEGRATOR: ANY},
            404,
            body={"dossier_code": UNKNOWN_CODE, "amount": 50000},
        ),
        Row("GET", "/v1/track/{code}", PUBLIC, 404, f"/v1/track/{UNKNOWN_CODE}", params={"phone": "0912345678"}),
    ],
    "processing": [
        *OPERATIONS,
        # Reading: officers of the dossier's agency; officials and admins unless scoped to another.
        Row(
            "GET",
            "/v1/dossiers/{code}",
            {r: OWN_OR_NONE for r in (Role.OFFICIAL, Role.ADMIN)} | {Role.OFFICER: ONLY_OWN},
            200,
            f"/v1/dossiers/{DOSSIER_CODE}",
        ),
        Row(
            "GET",
            "/v1/inbox",
            {r: OWN_OR_NONE for r in (Role.OFFICIAL, Role.ADMIN)} | {Role.OFFICER: ONLY_OWN},
            200,
            params={"agency_code": OWN},
        ),
        *[
            Row(
                "POST",
                f"/v1/dossiers/{{code}}/{action}",
                {Role.OFFICER: ONLY_OWN},
                409,
                f"/v1/dossiers/{DOSSIER_CODE}/{action}",
                body=body,
            )
            for action, body in {
                "accept": None,
                "refuse": {"reason": "Không đủ điều kiện"},
                "request-supplement": {"reason": "Thiếu giấy tờ"},
                "receive-supplement": None,
                "request-payment": {"amount": 50000},
                "record-payment": {"amount": 50000},
                "suspend": {},
                "resume": None,
                "transfer": {"to_agency_code": OTHER},
                "apology": {"reason": "Cần xác minh", "new_due_at": "2030-01-10T17:00:00+07:00"},
                "result-ready": {},
                "return": {"delivery": "direct"},
            }.items()
        ],
    ],
    "notification": [
        *OPERATIONS,
        # History: officers of the dossier's agency; officials and admins unless scoped to another.
        Row(
            "GET",
            "/v1/notifications",
            {r: OWN_OR_NONE for r in (Role.OFFICIAL, Role.ADMIN)} | {Role.OFFICER: ONLY_OWN},
            200,
            params={"dossier_code": NOTIFIED_CODE},
        ),
        # An unknown letter is 404 to every reader, before any agency is known.
        Row(
            "GET",
            "/v1/letters/{letter_id}",
            {r: ANY for r in (Role.OFFICIAL, Role.ADMIN, Role.OFFICER)},
            404,
            "/v1/letters/SEC-NO-SUCH-LETTER",
        ),
        Row(
            "PUT",
            "/v1/agencies/{agency_code}/contacts",
            ADMIN,
            200,
            f"/v1/agencies/{OWN}/contacts",
            body={"emails": ["mot-cua@so-a.example.gov.vn"]},
        ),
        Row("GET", "/v1/agencies/{agency_code}/contacts", ADMIN, 200, f"/v1/agencies/{OWN}/contacts"),
        Row("GET", "/v1/templates", ADMIN, 200),
        Row(
            "PUT",
            "/v1/templates/{template_id}",
            ADMIN,
            404,
            "/v1/templates/sec.no-such.email",
            body={"vi": {"subject": "Thông báo", "body": "Hồ sơ {dossier_code}"}},
        ),
        Row(
            "POST",
            "/v1/webhooks",
            ADMIN,
            201,
            body={"url": "https://hooks.example.gov.vn/motcua", "event_types": ["dossier.accepted"]},
        ),
        Row("GET", "/v1/webhooks", ADMIN, 200),
        Row("GET", "/v1/webhooks/{subscription_id}", ADMIN, 404, "/v1/webhooks/SEC-NO-SUCH-HOOK"),
        Row("DELETE", "/v1/webhooks/{subscription_id}", ADMIN, 404, "/v1/webhooks/SEC-NO-SUCH-HOOK"),
    ],
    "reporting": [
        *OPERATIONS,
        Row("GET", "/dashboard", PUBLIC, 200),
        # Officials and admins read every agency; an officer only their own.
        *[
            Row(
                "GET",
                f"/v1/reports/{report}",
                {Role.OFFICIAL: ANY, Role.ADMIN: ANY, Role.OFFICER: ONLY_OWN},
                200,
                params=PERIOD,
            )
            for report in (
                "summary",
                "agencies",
                "agencies.csv",
                "agencies.xlsx",
                "online-services",
                "narrative",
                "trend",
                "resolution",
                "resolution.csv",
                "resolution.xlsx",
                "scorecard",
            )
        ],
        # Only officials publish; readers see their published reports (an officer their agency's only).
        Row(
            "POST",
            "/v1/reports/published",
            {Role.OFFICIAL: ANY},
            201,
            body={"from": "2020-01-01", "to": "2020-03-31", "agency_code": OWN},
        ),
        Row("GET", "/v1/reports/published", {Role.OFFICIAL: ANY, Role.ADMIN: ANY, Role.OFFICER: ANY}, 200),
        *[
            Row(
                "GET",
                f"/v1/reports/published/{{report_id}}{tail}",
                {Role.OFFICIAL: ANY, Role.ADMIN: ANY, Role.OFFICER: ANY},
                404,
                f"/v1/reports/published/sec-none{tail}",
            )
            for tail in ("", "/diff")
        ],
        Row(
            "GET",
            "/v1/reports/dossiers",
            {Role.OFFICIAL: ANY, Role.ADMIN: ANY, Role.OFFICER: ONLY_OWN},
            200,
            params={**PERIOD, "figure": "resolved"},
        ),
    ],
}


# --- the services -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceUnderTest:
    name: str
    create_app: Callable[[Any], FastAPI]
    settings: Callable[..., Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: Callable[[Infrastructure, Topics, httpx.AsyncClient], Awaitable[None]] | None = None


async def seed_processing(infrastructure: Infrastructure, topics: Topics, client: httpx.AsyncClient) -> None:
    """A dossier of OWN, submitted and refused: every officer action on it is 409 once past the checks."""
    dossier_id = str(uuid.uuid4())
    at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    events: list[ev.DossierEvent] = [
        ev.DossierSubmitted(
            occurred_at=at,
            source="security-test",
            dossier_id=dossier_id,
            data=ev.SubmittedData(
                dossier_code=DOSSIER_CODE,
                procedure_code="SEC.1",
                agency_code=OWN,
                channel=ev.Channel.ONLINE,
                applicant=ev.Applicant(full_name="Nguyễn Văn An", phone="0912345678"),
            ),
        ),
        ev.DossierRefused(
            occurred_at=at + timedelta(hours=1),
            source="security-test",
            dossier_id=dossier_id,
            data=ev.RefusedData(reason="Không thuộc thẩm quyền"),
        ),
    ]
    broker = make_broker(infrastructure.kafka_bootstrap_servers, client_id="security-test")
    await broker.connect()
    try:
        for event in events:
            await broker.publish(event.to_bytes(), topic=topics.dossier_events, key=dossier_id.encode())
    finally:
        await broker.stop()
    admin = Caller("admin", Role.ADMIN, Scope.NONE).headers()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        response = await client.get(f"/v1/dossiers/{DOSSIER_CODE}", headers=admin)
        if response.status_code == 200 and response.json()["status"] == "refused":
            return
        await asyncio.sleep(0.2)
    raise AssertionError("processing did not fold the seeded dossier in time")


async def seed_notification(infrastructure: Infrastructure, topics: Topics, client: httpx.AsyncClient) -> None:
    """A dossier of OWN that notification has folded (too old to notify anyone): its history is
    then its agency's alone."""
    dossier_id = str(uuid.uuid4())
    submitted = ev.DossierSubmitted(
        occurred_at=datetime(2026, 1, 1, 9, tzinfo=UTC),
        source="security-test",
        dossier_id=dossier_id,
        data=ev.SubmittedData(
            dossier_code=NOTIFIED_CODE,
            procedure_code="SEC.1",
            agency_code=OWN,
            channel=ev.Channel.ONLINE,
            applicant=ev.Applicant(full_name="Nguyễn Văn An", phone="0912345678"),
        ),
    )
    broker = make_broker(infrastructure.kafka_bootstrap_servers, client_id="security-test")
    await broker.connect()
    try:
        await broker.publish(submitted.to_bytes(), topic=topics.dossier_events, key=dossier_id.encode())
    finally:
        await broker.stop()
    other = Caller("officer", Role.OFFICER, Scope.OTHER).headers()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        response = await client.get("/v1/notifications", params={"dossier_code": NOTIFIED_CODE}, headers=other)
        if response.status_code == 403:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("notification did not fold the seeded dossier in time")


def _services() -> list[ServiceUnderTest]:
    from motcua_intake.bootstrap import create_app as intake_app
    from motcua_intake.config import Settings as IntakeSettings
    from motcua_notification.bootstrap import create_app as notification_app
    from motcua_notification.config import Settings as NotificationSettings
    from motcua_processing.bootstrap import create_app as processing_app
    from motcua_processing.config import Settings as ProcessingSettings
    from motcua_reporting.bootstrap import create_app as reporting_app
    from motcua_reporting.config import Settings as ReportingSettings

    return [
        ServiceUnderTest(
            "intake",
            intake_app,
            IntakeSettings,
            {"tracking_failures_per_code": 1000, "tracking_failures_per_client": 1000},
        ),
        ServiceUnderTest(
            "notification",
            notification_app,
            NotificationSettings,
            {"dispatcher_enabled": False},
            seed=seed_notification,
        ),
        ServiceUnderTest(
            "processing", processing_app, ProcessingSettings, {"scheduler_enabled": False}, seed=seed_processing
        ),
        ServiceUnderTest("reporting", reporting_app, ReportingSettings),
    ]


SERVICES = {s.name: s for s in _services()}


def settings_for(
    service: ServiceUnderTest, infrastructure: Infrastructure | None, database: str, topics: Topics
) -> Any:
    return service.settings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers if infrastructure else "127.0.0.1:1",
        mongodb_url=infrastructure.mongodb_url if infrastructure else "mongodb://127.0.0.1:1",
        mongodb_database=database,
        topic_prefix=topics.prefix,
        jwt_secret=SECRET,
        consumer_group=f"security-test-{uuid.uuid4().hex[:8]}",
        **service.overrides,
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def endpoints(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def own_topics(infrastructure: Infrastructure, run_id: str) -> Topics:
    """Topics of this module alone, so that processing folds only the seeded dossier."""
    topics = Topics(f"test-{run_id}-sec{uuid.uuid4().hex[:6]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, num_partitions=3, replication_factor=1) for n in topics.all()])
    finally:
        await admin.close()
    return topics


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_endpoint_has_a_row(name: str) -> None:
    """An endpoint without a row fails here, so nobody adds one without saying who may call it."""
    app = SERVICES[name].create_app(settings_for(SERVICES[name], None, "unused", Topics("unused.")))
    in_openapi = endpoints(app)
    in_table = {(row.method, row.template) for row in ROWS[name]}
    assert in_openapi - in_table == set(), f"endpoints of {name} without a row"
    assert in_table - in_openapi == set(), f"rows of {name} for endpoints it does not have"


def test_every_service_with_an_api_is_in_the_table() -> None:
    """A service whose bootstrap builds an app (the notification service, when its API lands) must
    be added to SERVICES and ROWS."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with_api = set()
    for config in root.glob("*-service/src/motcua_*/config.py"):
        package = config.parent.name
        try:
            bootstrap = importlib.import_module(f"{package}.bootstrap")
        except ModuleNotFoundError as missing:
            if missing.name != f"{package}.bootstrap":
                raise
            continue
        if hasattr(bootstrap, "create_app"):
            with_api.add(package.removeprefix("motcua_"))
    assert with_api - set(SERVICES) == set()
    assert set(SERVICES) == set(ROWS)


def outcome(status: int) -> str:
    return str(status) if status in (401, 403) else "allowed"


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_security_table(
    name: str, infrastructure: Infrastructure, own_topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    service = SERVICES[name]
    app = service.create_app(settings_for(service, infrastructure, mongo_db.name, own_topics))
    wrong: list[str] = []
    server_errors: list[str] = []
    cells = 0
    async with running(app) as client:
        if service.seed is not None:
            await service.seed(infrastructure, own_topics, client)
        for row in ROWS[name]:
            for caller in CALLERS:
                headers = caller.headers()
                if row.method in ("POST", "PUT", "DELETE"):
                    headers["Idempotency-Key"] = str(uuid.uuid4())
                response = await client.request(
                    row.method, row.path or row.template, params=row.params, json=row.body, headers=headers
                )
                cells += 1
                where = f"{row.method} {row.path or row.template} {row.note} as {caller.label}"
                if response.status_code >= 500:
                    server_errors.append(f"{where}: {response.status_code} {response.text[:200]}")
                got, expected = outcome(response.status_code), row.expected(caller)
                if got != expected:
                    wrong.append(f"{where}: expected {expected}, got {response.status_code} {response.text[:160]}")
                elif got == "allowed" and response.status_code != row.answer:
                    wrong.append(
                        f"{where}: allowed, but answered {response.status_code} (not {row.answer}) "
                        f"{response.text[:160]}"
                    )
                elif got in ("401", "403"):
                    # Refusals carry the shared machine-readable error shape.
                    assert response.json()["error"]["code"], where
    assert not server_errors, "\n".join(server_errors)
    assert not wrong, f"{len(wrong)} of {cells} cells differ:\n" + "\n".join(wrong)
    assert cells == len(ROWS[name]) * len(CALLERS)


def test_the_table_covers_every_role_and_both_agency_scopes() -> None:
    labels = {c.label for c in CALLERS}
    for role in Role:
        assert {f"{role.value}/{s.value}" for s in Scope} <= labels
    # Each role is allowed somewhere and refused somewhere: the table is not trivially one-sided.
    rows = [r for rs in ROWS.values() for r in rs if r.who is not PUBLIC]
    for role in Role:
        assert any(role in (r.who or {}) for r in rows), role
        assert any(role not in (r.who or {}) for r in rows), role


async def test_a_reporting_officer_sees_only_their_own_agency(
    infrastructure: Infrastructure, mongo_db: AsyncDatabase[Any]
) -> None:
    """Two agencies' dossiers folded into the store: an officer's reports (summary, table, CSV) hold
    their agency alone, whatever they ask; an official's hold both."""
    from motcua_reporting.adapters.read_models import ReadModels
    from motcua_reporting.bootstrap import create_app
    from motcua_reporting.service_layer.folds import Projections, fold_catalogue_event, fold_dossier_event
    from test_reporting_support import History, agency, procedure, vn

    projections = Projections.of(ReadModels(mongo_db))
    for event in (
        agency(OWN, "Sở A", "provincial"),
        agency(OTHER, "Sở B", "provincial"),
        procedure("SEC.A", OWN, "provincial", 4, None),
        procedure("SEC.B", OTHER, "provincial", 4, None),
    ):
        await fold_catalogue_event(projections, event)
    histories = [History(f"A{i}", OWN, "SEC.A", "online", vn(2020, 1, 6 + i)) for i in range(2)]
    histories += [History(f"B{i}", OTHER, "SEC.B", "direct", vn(2020, 2, 3 + i)) for i in range(3)]
    for history in histories:
        for event in history.events:
            await fold_dossier_event(projections, event)

    settings = settings_for(SERVICES["reporting"], infrastructure, mongo_db.name, Topics("unused."))
    app = create_app(settings, consume=False)  # folded above, straight into the store
    officer = Caller("officer", Role.OFFICER, Scope.OWN).headers()
    official = Caller("official", Role.OFFICIAL, Scope.NONE).headers()
    period = {"from": "2020-01-01", "to": "2020-03-31"}
    async with running(app) as client:
        mine = (await client.get("/v1/reports/summary", params=period, headers=officer)).json()
        assert mine["received"]["total"] == 2
        assert [a["agency_code"] for a in mine["by_agency"]] == [OWN]
        table = (await client.get("/v1/reports/agencies", params=period, headers=officer)).json()
        assert [row["agency_code"] for row in table["data"]] == [OWN]
        csv_text = (await client.get("/v1/reports/agencies.csv", params=period, headers=officer)).text
        assert OWN in csv_text and OTHER not in csv_text
        refused = await client.get("/v1/reports/summary", params={**period, "agency_code": OTHER}, headers=officer)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden_agency"

        everyone = (await client.get("/v1/reports/summary", params=period, headers=official)).json()
        assert everyone["received"]["total"] == 5
        assert [a["agency_code"] for a in everyone["by_agency"]] == [OTHER, OWN]
