"""Helpers for the tests of the error contract (imported by test_error_codes_*.py and
test_processing_error_contract.py; no tests here): what an operation's OpenAPI says it may answer
when it refuses, and whether an answer conforms to it."""

from typing import Any

import jsonschema_rs

JSON = "application/json"


def error_statuses(operation: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The operation's documented refusals (4xx and 5xx), by status."""
    return {int(s): r for s, r in operation.get("responses", {}).items() if s.isdigit() and int(s) >= 400}


def response_schema(openapi: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON schema the OpenAPI gives for `status` of the operation, its references resolvable
    (None: the status is not documented, or without a JSON body)."""
    response = openapi["paths"][path][method.lower()]["responses"].get(str(status))
    schema = ((response or {}).get("content") or {}).get(JSON, {}).get("schema")
    return None if schema is None else {**schema, "components": openapi.get("components", {})}


def conforms(openapi: dict[str, Any], method: str, path: str, status: int, body: Any) -> bool:
    schema = response_schema(openapi, method, path, status)
    return schema is not None and jsonschema_rs.validator_for(schema).is_valid(body)


def documented_codes(schema: dict[str, Any]) -> list[str]:
    """Every `error.code` the schema allows, read from its enums (through allOf and anyOf)."""
    codes: list[str] = []
    for branch in schema.get("anyOf", [schema]):
        for part in branch.get("allOf", [branch]):
            codes += part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum", [])
    return codes
