"""An unreachable store is a 503 the caller may retry, not a 500 (found by tests/e2e/test_fault_store.py)."""

from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from pymongo.errors import ServerSelectionTimeoutError


def test_a_store_that_does_not_answer_is_503_store_unavailable_with_retry_after() -> None:
    app = create_app(title="store away")

    @app.get("/things")
    async def things() -> dict[str, str]:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")

    @app.get("/bug")
    async def bug() -> dict[str, str]:
        raise RuntimeError("a bug")

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/things")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/bug").status_code == 500  # anything else is still the service's own fault
