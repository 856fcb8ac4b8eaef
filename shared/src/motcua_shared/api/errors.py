"""One machine-readable error shape for every API:

    {"error": {"code": "validation_failed", "message": "...", "fields": [{"field": "body.channel", "message": "..."}]}}

Each route names the codes it may answer, per status, with `error_responses`; the OpenAPI lists them
(app.py, `document_shared_errors`), so a client can act on each and schema-driven tests refuse any other.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..refusals import Conflict, Forbidden, Invalid, NotFound, Refused, TooManyAttempts, Unavailable

log = logging.getLogger(__name__)

STORE_RETRY_AFTER_SECONDS = 2


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[FieldProblem] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raise from a route to answer `status` with a stable `code` the caller can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers


# Where a route's `responses` carry their codes until document_shared_errors turns them into the schema.
ERROR_CODES = "x-error-codes"


def error_responses(
    *codes: Mapping[int, Iterable[str]], notes: Mapping[int, str] | None = None, store: bool = True
) -> dict[int | str, dict[str, Any]]:
    """A route's `responses`: per status, the machine-readable codes its own code path may answer
    (several mappings are merged, in order), with an optional note per status. `store`: the route
    reads or writes the store, so it may answer 503 `store_unavailable`. What every route shares
    (401, 403 `forbidden_role`, 400/413/415 for a body, 422 `validation_failed`/`invalid_character`)
    is added by document_shared_errors."""
    merged: dict[int, list[str]] = {}
    for mapping in codes:
        for status, names in mapping.items():
            merged.setdefault(status, []).extend(n for n in names if n not in merged[status])
    if store:
        merged.setdefault(503, []).append("store_unavailable")
    responses: dict[int | str, dict[str, Any]] = {}
    for status, names in merged.items():
        responses[status] = {ERROR_CODES: names}
        if notes and status in notes:
            responses[status]["description"] = notes[status]
    return responses


def error_shape(app: FastAPI, code: str, model: type[BaseModel]) -> None:
    """Say that `code` answers `model`, the shared shape with more fields (`{"error": {..., more}}`),
    so that the OpenAPI documents those fields wherever a route lists the code."""
    shapes: dict[str, type[BaseModel]] = getattr(app.state, "error_shapes", {})
    shapes[code] = model
    app.state.error_shapes = shapes


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, fields=fields or []))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


# The status each kind of domain refusal answers (motcua_shared.refusals): the one place they meet HTTP.
REFUSAL_STATUS: dict[type[Refused], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    TooManyAttempts: 429,
    Unavailable: 503,
}


def refusal_status(refusal: Refused) -> int:
    return next(status for kind, status in REFUSAL_STATUS.items() if isinstance(refusal, kind))


def as_api_error(refusal: Refused) -> ApiError:
    """The HTTP answer to a use case's refusal (Retry-After when it says when to come back)."""
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else None
    return ApiError(refusal_status(refusal), refusal.code, refusal.message, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        answer = as_api_error(exc)
        return error_response(answer.status, answer.code, answer.message, headers=answer.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [FieldProblem(field=".".join(str(p) for p in err["loc"]), message=err["msg"]) for err in exc.errors()]
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            # Not JSON at all: 400, as the OpenAPI says, not a problem with some field.
            return error_response(400, "invalid_json", "the request body is not valid JSON", fields)
        return error_response(422, "validation_failed", "the request is not valid", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI could not read the body at all (not UTF-8): not JSON, as the OpenAPI says.
            return error_response(400, "invalid_json", "the request body is not valid JSON (UTF-8)")
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(PyMongoError)
    async def _store(request: Request, exc: PyMongoError) -> JSONResponse:
        # The store away (no server answers) or failing a command (a PostgreSQL error under FerretDB,
        # such as too many connections): nothing was decided, the caller should come back.
        if isinstance(exc, DuplicateKeyError):
            return await _unexpected(request, exc)
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(
            503,
            "store_unavailable",
            "the data store did not answer in time; retry",
            headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
