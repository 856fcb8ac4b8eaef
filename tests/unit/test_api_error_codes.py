"""The shared error contract in the OpenAPI: each refusal lists its machine-readable codes (the route's
own and the shared ones) as an `enum` on `error.code`, a code answered with more fields gets a branch
of its own, and what the app answers keeps to it."""

from typing import Any

from fastapi import Depends
from fastapi.testclient import TestClient
from motcua_shared.api import ApiError, ErrorBody, create_app, error_responses, error_shape
from motcua_shared.auth import Role, require_role
from pydantic import BaseModel, Field


class Greeting(BaseModel):
    name: str = Field(min_length=1)


class LateBody(ErrorBody):
    minutes: int


class LateResponse(BaseModel):
    error: LateBody


def _app() -> Any:
    app = create_app(title="codes")
    error_shape(app, "too_late", LateResponse)

    @app.post(
        "/v1/greetings/{who}",
        dependencies=[Depends(require_role(Role.ADMIN))],
        responses=error_responses({404: ["nobody_here"], 409: ["too_late", "said_already"]}, notes={409: "not now"}),
    )
    async def greet(who: str, greeting: Greeting) -> dict[str, str]:
        raise ApiError(404, "nobody_here", f"no {who}")

    return app


def _codes(schema: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    for branch in schema.get("anyOf", [schema]):
        for part in branch["allOf"]:
            codes += part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum", [])
    return codes


def test_each_status_lists_the_routes_codes_and_the_shared_ones() -> None:
    responses = _app().openapi()["paths"]["/v1/greetings/{who}"]["post"]["responses"]
    codes = {
        status: _codes(r["content"]["application/json"]["schema"])
        for status, r in responses.items()
        if int(status) >= 400
    }
    assert codes == {
        "400": ["invalid_json"],
        "401": ["unauthenticated", "invalid_token"],
        "403": ["forbidden_role"],
        "404": ["nobody_here"],
        "409": ["said_already", "too_late"],
        "413": ["payload_too_large"],
        "415": ["unsupported_media_type"],
        "422": ["validation_failed", "invalid_character"],
        "503": ["store_unavailable"],
    }
    assert responses["409"]["description"].startswith("not now")
    assert "`too_late`" in responses["409"]["description"] and "`said_already`" in responses["409"]["description"]
    assert "WWW-Authenticate" in responses["401"]["headers"] and "Retry-After" in responses["503"]["headers"]
    assert all("x-error-codes" not in r for r in responses.values())


def test_a_code_with_more_fields_is_a_branch_of_its_own() -> None:
    openapi = _app().openapi()
    schema = openapi["paths"]["/v1/greetings/{who}"]["post"]["responses"]["409"]["content"]["application/json"]
    refs = [branch["allOf"][0]["$ref"] for branch in schema["schema"]["anyOf"]]
    assert refs == ["#/components/schemas/ErrorResponse", "#/components/schemas/LateResponse"]
    assert "minutes" in openapi["components"]["schemas"]["LateBody"]["required"]


def test_a_body_that_is_not_utf8_is_400_invalid_json_as_documented() -> None:
    """Found by schemathesis once the codes were enums: FastAPI's own 400 for a body it cannot decode
    was answered as `bad_request`, a code no operation documents."""
    app = create_app(title="codes")

    @app.post("/v1/echo")
    async def echo(greeting: Greeting) -> dict[str, str]:
        return {"name": greeting.name}

    for body in (b"\xff\xfe{", b"{not json"):
        response = TestClient(app).post("/v1/echo", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_json"
    assert _codes(
        app.openapi()["paths"]["/v1/echo"]["post"]["responses"]["400"]["content"]["application/json"]["schema"]
    ) == ["invalid_json"]
