"""The FastAPI app every service starts from."""

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ErrorResponse, error_response, install_error_handlers

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413 `payload_too_large`, whether or not the
    client sent a Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return

        # Read the whole body first (it is small by definition) so that an oversize one is refused
        # before any route sees it, rather than half-parsed.
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away; nobody is left to answer
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "payload_too_large", f"the request body exceeds {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


def create_app(
    *,
    title: str,
    description: str = "",
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """An app with the shared error shape, a body size limit and `/health`."""
    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    install_error_handlers(app)
    document_shared_errors(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    return app


def document_shared_errors(app: FastAPI) -> None:
    """Make the OpenAPI say what the shared handlers answer: every 422 has the shared error shape
    (not FastAPI's `HTTPValidationError`), and an operation taking a body may answer 400 (the body
    is not JSON) and 413 (too large), so clients and schema-driven tests are not misled."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        ref_template = "#/components/schemas/{model}"
        shape = ErrorResponse.model_json_schema(ref_template=ref_template)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(shape.pop("$defs", {}))
        components["ErrorResponse"] = shape
        error = {"content": {"application/json": {"schema": {"$ref": ref_template.format(model="ErrorResponse")}}}}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {**responses["422"], **error}
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": "the body is not JSON", **error})
                    responses.setdefault("413", {"description": "the body is too large", **error})
        if "HTTPValidationError" not in json.dumps(schema["paths"]):
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
