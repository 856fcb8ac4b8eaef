"""What the OpenAPI says about errors: per operation and status, the machine-readable codes it may
answer, in the status's description and as an `enum` on `error.code` in its schema (so a client knows
every code it must handle, and schemathesis refuses an answer with any other). A route names its own
codes (`error_responses`); the codes every route shares are added here, from what the operation takes."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from .errors import ERROR_CODES, ErrorResponse

REF = "#/components/schemas/{model}"
JSON = "application/json"

# What the shared app answers before or around any route (auth dependencies, middleware, handlers).
BEHIND_TOKEN = {401: ["unauthenticated", "invalid_token"], 403: ["forbidden_role"]}
WITH_INPUT = {422: ["validation_failed", "invalid_character"]}
WITH_BODY = {400: ["invalid_json"], 413: ["payload_too_large"], 415: ["unsupported_media_type"]}
# The shared app's own operations (app.py) that may refuse.
SHARED_OPERATIONS: dict[tuple[str, str], dict[int, list[str]]] = {
    ("get", "/ready"): {503: ["not_ready"]},
    ("get", "/asyncapi.json"): {404: ["not_found"]},
}

NOTES = {
    400: "the body is not JSON",
    401: "no valid bearer token",
    403: "the token's role or agency may not",
    413: "the body is too large",
    415: "the body is not application/json",
    422: "the request is not valid",
    429: "too many attempts; retry after `Retry-After` seconds",
    503: "nothing was done; retry after `Retry-After` seconds",
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer` (RFC 6750)", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}},
}


def document_errors(schema: dict[str, Any], shapes: Mapping[str, type[BaseModel]]) -> None:
    """Rewrite every operation's error responses of `schema` (FastAPI's OpenAPI) in place. `shapes`:
    the codes answered with more fields than the shared shape, and their models."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    models: list[type[BaseModel]] = [ErrorResponse, *shapes.values()]
    for model in models:
        shape = model.model_json_schema(ref_template=REF, mode="serialization")
        components.update(shape.pop("$defs", {}))
        components[model.__name__] = shape
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status, names in codes_of(method, path, operation).items():
                response = responses.setdefault(str(status), {})
                response.pop(ERROR_CODES, None)
                response["description"] = _description(status, response.get("description"), names)
                response["content"] = {JSON: {"schema": error_schema(names, shapes)}}
                if status in HEADERS:
                    response["headers"] = {**HEADERS[status], **response.get("headers", {})}
            operation["responses"] = dict(sorted(responses.items()))


def codes_of(method: str, path: str, operation: dict[str, Any]) -> dict[int, list[str]]:
    """The codes `operation` may answer per status: the route's own, then the shared ones."""
    codes: dict[int, list[str]] = {}

    def add(more: Mapping[int, list[str]]) -> None:
        for status, names in more.items():
            if names:
                codes.setdefault(status, []).extend(n for n in names if n not in codes[status])

    add(
        {
            int(status): response.get(ERROR_CODES, [])
            for status, response in operation.get("responses", {}).items()
            if status.isdigit() and int(status) >= 400
        }
    )
    if operation.get("security"):
        add(BEHIND_TOKEN)
    if operation.get("parameters") or "requestBody" in operation:
        add(WITH_INPUT)
    if "requestBody" in operation:
        add(WITH_BODY)
    add(SHARED_OPERATIONS.get((method, path), {}))
    return codes


def error_schema(codes: list[str], shapes: Mapping[str, type[BaseModel]]) -> dict[str, Any]:
    """The shared shape with `error.code` one of `codes`; a code with a shape of its own is a branch of
    its own (anyOf), so its extra fields are documented and required."""
    plain = [code for code in codes if code not in shapes]
    branches = [_with_codes(ErrorResponse.__name__, plain)] if plain else []
    branches += [_with_codes(shapes[code].__name__, [code]) for code in codes if code in shapes]
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _with_codes(model: str, codes: list[str]) -> dict[str, Any]:
    only = {"properties": {"error": {"properties": {"code": {"enum": codes}}}}}
    return {"allOf": [{"$ref": REF.format(model=model)}, only]}


def _description(status: int, given: str | None, codes: list[str]) -> str:
    # FastAPI's own descriptions (the status's phrase, "Validation Error") say less than ours.
    generic = given in (None, "", HTTPStatus(status).phrase, "Validation Error")
    note = NOTES.get(status, HTTPStatus(status).phrase) if generic else given
    return f"{note}\n\nMã lỗi (error codes): " + ", ".join(f"`{code}`" for code in codes)
