import json

from fastapi.testclient import TestClient
from motcua_shared.api import create_app
from pydantic import BaseModel, Field


class Greeting(BaseModel):
    name: str = Field(min_length=1)
    times: int = Field(ge=1)


def _client(max_body_bytes: int = 1024) -> TestClient:
    app = create_app(title="basics", max_body_bytes=max_body_bytes)

    @app.post("/greetings")
    async def greet(greeting: Greeting) -> dict[str, str]:
        return {"text": f"xin chào {greeting.name}" * greeting.times}

    return TestClient(app)


def test_health_answers() -> None:
    assert _client().get("/health").json() == {"status": "ok"}


def test_invalid_fields_are_422_in_one_machine_readable_shape() -> None:
    response = _client().post("/greetings", json={"name": "", "times": 0})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert {f["field"] for f in error["fields"]} == {"body.name", "body.times"}


def test_malformed_json_is_400_as_documented_not_422_or_500() -> None:
    client = _client()
    response = client.post("/greetings", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    documented = client.get("/openapi.json").json()["paths"]["/greetings"]["post"]["responses"]
    assert "400" in documented


def test_an_oversize_body_is_413() -> None:
    body = json.dumps({"name": "x" * 2000, "times": 1})
    response = _client(max_body_bytes=1024).post(
        "/greetings", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_an_oversize_chunked_body_is_413() -> None:
    def chunks():
        for _ in range(10):
            yield b"x" * 512

    response = _client(max_body_bytes=1024).post(
        "/greetings", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_an_unknown_path_is_404_in_the_same_shape() -> None:
    response = _client().get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_body_that_is_not_json_is_415_and_json_with_a_charset_is_taken() -> None:
    client = _client()
    body = b'{"name": "Lan", "times": 1}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = client.post("/greetings", content=body, headers=headers)
        assert response.status_code == 415, content_type
        assert response.json()["error"]["code"] == "unsupported_media_type"
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post("/greetings", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 200 and response.json() == {"text": "xin chào Lan"}
    # A request without a body (a plain POST action) needs no content type.
    assert client.post("/health").status_code == 405


def test_a_store_that_is_away_or_failing_is_503_with_retry_after_not_500() -> None:
    from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

    app = create_app(title="store")

    @app.get("/away")
    async def away() -> None:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")

    @app.get("/failing")
    async def failing() -> None:
        raise OperationFailure("FATAL: sorry, too many clients already (SQLSTATE 53300)")

    client = TestClient(app, raise_server_exceptions=False)
    for path in ("/away", "/failing"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.json()["error"]["code"] == "store_unavailable"
        assert response.headers["Retry-After"] == "2"
