"""A use case's refusal (motcua_shared.refusals) reaches the caller as the shared error shape at its
kind's status, with Retry-After when it says when to come back: the one place domain words meet HTTP."""

import pytest
from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from motcua_shared.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, TooManyAttempts, Unavailable

pytestmark = pytest.mark.unit

REFUSALS: dict[str, Refused] = {
    "not-found": NotFound("procedure_not_found", "không có thủ tục 1.1 (there is no procedure 1.1)"),
    "conflict": Conflict("dossier_closed", "dossier X is returned and can no longer be withdrawn"),
    "invalid": Invalid("online_submission_not_allowed", "online dossiers need level 3 or 4"),
    "forbidden": Forbidden("forbidden_agency", "your token is scoped to agency STP"),
    "too-many": TooManyAttempts("too_many_attempts", "retry in 30 seconds", retry_after=30),
    "unavailable": Unavailable("view_behind", "retry in 2 seconds", retry_after=2),
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(title="refusals")

    @app.get("/v1/refuse/{kind}")
    async def refuse(kind: str) -> None:
        raise REFUSALS[kind]

    return TestClient(app)


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [
        ("not-found", 404, None),
        ("conflict", 409, None),
        ("invalid", 422, None),
        ("forbidden", 403, None),
        ("too-many", 429, "30"),
        ("unavailable", 503, "2"),
    ],
)
def test_each_refusal_answers_its_status_code_and_message(
    client: TestClient, kind: str, status: int, retry_after: str | None
) -> None:
    response = client.get(f"/v1/refuse/{kind}")
    refusal = REFUSALS[kind]
    assert response.status_code == status
    assert response.json() == {"error": {"code": refusal.code, "message": refusal.message, "fields": []}}
    assert response.headers.get("Retry-After") == retry_after
