"""The FastAPI app every service starts from: the shared error shape, a body size limit, the
operations endpoints (`/health`, `/ready`, `/metrics`, `/asyncapi.json`, `/asyncapi`) and the docs
pages (`/docs`, `/asyncapi`), whose scripts the service serves itself, from packages installed with
it, so that they render on a closed network (no CDN)."""

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..asgi import HttpMiddleware
from ..observability import metrics
from ..observability.http import ObservedRequests, bind_path_context, telemetry_config
from ..observability.readiness import DegradationCheck, ReadinessCheck, run_checks, run_degradation_checks
from .errors import FieldProblem, error_response, install_error_handlers
from .openapi_errors import document_errors
from .text import NoNulCharacters

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DOCS_ASSETS = "/docs/assets"  # Swagger UI (package fastapi-offline)
ASYNCAPI_ASSETS = "/asyncapi/assets"  # the AsyncAPI viewer (package asyncapi-viewer)


class BodySizeLimit(HttpMiddleware):
    """Refuses request bodies over `max_bytes` with 413 `payload_too_large`, whether or not the
    client sent a Content-Length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        response = error_response(413, "payload_too_large", f"the request body exceeds {self.max_bytes} bytes")
        await response(scope, receive, send)


class JsonBodies:
    """Every motcua API takes JSON: a request carrying a body of another media type is refused with
    415 `unsupported_media_type` (rather than a confusing validation error on its fields)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._foreign_body(dict(scope["headers"])):
            response = error_response(
                415, "unsupported_media_type", "the request body must be JSON (Content-Type: application/json)"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _foreign_body(headers: dict[bytes, bytes]) -> bool:
        length = headers.get(b"content-length", b"")
        has_body = (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        return has_body and not (media_type == b"application/json" or media_type.endswith(b"+json"))


def create_app(
    *,
    title: str,
    description: str = "",
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """An app with the shared error shape, a body size limit, `/health`, `/ready`, `/metrics`, and
    `/asyncapi.json` once the service set `app.state.asyncapi` (see `serve_asyncapi`). Every request
    is traced, counted and logged with its context (observability/http.py)."""
    if "/asyncapi" not in description:
        description = (description + "\n\n" if description else "") + ASYNCAPI_NOTE
    # FastAPIOffline: /docs (Swagger UI) with its scripts under DOCS_ASSETS; no validator badge, which
    # Swagger UI would fetch from validator.swagger.io. No /redoc: its bundle loads its logo from a CDN.
    app = FastAPIOffline(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        dependencies=[Depends(bind_path_context)],
        telemetry=telemetry_config(),
        redoc_url=None,
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.mount(ASYNCAPI_ASSETS, StaticFiles(packages=[("asyncapi_viewer", "static")]), name="asyncapi-assets")
    install_error_handlers(app)
    document_shared_errors(app)
    app.add_middleware(JsonBodies)
    app.add_middleware(NoNulCharacters)  # inside the body limit, which has read the whole body
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(ObservedRequests)  # outside the body limit: it also counts what the limit refuses

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], responses={503: {"description": "a dependency is unreachable"}})
    async def ready(request: Request) -> JSONResponse:
        """Ready: every dependency the service registered (Kafka, the store) answers now. 503
        `not_ready` names each one that does not, in `fields`. 200 with status `degraded` while a
        degradation check gives a reason (`consumer_lag`: the consumers are far behind), named in `checks`."""
        checks: dict[str, ReadinessCheck] = getattr(request.app.state, "readiness_checks", {})
        degradations: dict[str, DegradationCheck] = getattr(request.app.state, "degradation_checks", {})
        outcomes, degraded = await asyncio.gather(run_checks(checks), run_degradation_checks(degradations))
        failed = [FieldProblem(field=name, message=why) for name, why in outcomes.items() if why != "ok"]
        if failed:
            return error_response(
                503,
                "not_ready",
                "not ready: " + ", ".join(f.field for f in failed) + " unreachable",
                failed,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "degraded" if degraded else "ready", "checks": {**outcomes, **degraded}})

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def prometheus_metrics() -> Response:
        """Prometheus metrics (text exposition format)."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @app.get("/asyncapi.json", tags=["operations"])
    async def asyncapi_json(request: Request) -> JSONResponse:
        """The AsyncAPI 3.0 document of the topics this service consumes and publishes."""
        document = _asyncapi_document(request.app)
        if document is None:
            return error_response(404, "not_found", "this service has no Kafka consumers or publications")
        return JSONResponse(document)

    @app.get("/asyncapi", tags=["operations"], response_class=HTMLResponse)
    async def asyncapi_page(request: Request) -> HTMLResponse:
        """The AsyncAPI document, rendered in the browser by a viewer this service serves."""
        from ..observability.asyncapi import asyncapi_html

        return HTMLResponse(asyncapi_html(request.app.title, viewer_url=f"{ASYNCAPI_ASSETS}/asyncapi-viewer.iife.js"))

    return app


def document_shared_errors(app: FastAPI) -> None:
    """Make the OpenAPI say what each operation may answer when it refuses: per status, the
    machine-readable codes (the route's own, named with `error_responses`, and the shared ones: 401
    and 403 behind a bearer token, 422 for any input, 400, 413 and 415 for a body), listed in the
    description and as an `enum` on `error.code` in the shared error shape (not FastAPI's
    `HTTPValidationError`), so that clients and schema-driven tests are not misled (openapi_errors.py)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        document_errors(schema, getattr(app.state, "error_shapes", {}))
        if "HTTPValidationError" not in json.dumps(schema["paths"]):
            for unused in ("HTTPValidationError", "ValidationError"):
                schema["components"]["schemas"].pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


ASYNCAPI_NOTE = (
    "**Events**: the Kafka topics this service consumes and publishes are described by its "
    "[AsyncAPI document](/asyncapi) ([JSON](/asyncapi.json)). Operations: `/health` (alive), "
    "`/ready` (Kafka and the store reachable), `/metrics` (Prometheus)."
)


def serve_asyncapi(app: FastAPI, broker: Any) -> None:
    """Serve the AsyncAPI document of `broker` (its consumers and declared publications) at /asyncapi.json.
    Call from the lifespan once the consumers are registered."""
    app.state.asyncapi_broker = broker
    app.state.asyncapi = None  # generated on first request


def _asyncapi_document(app: FastAPI) -> dict[str, Any] | None:
    broker = getattr(app.state, "asyncapi_broker", None)
    if broker is None:
        return None
    if getattr(app.state, "asyncapi", None) is None:
        from ..observability.asyncapi import asyncapi_document

        app.state.asyncapi = asyncapi_document(broker, title=app.title, description=app.description)
    document: dict[str, Any] = app.state.asyncapi
    return document
