"""The ASGI middleware that observes every request: a SERVER span continuing the caller's
`traceparent`, a log context (bound to the dossier code when the route has `{code}`), and the
request's count and latency by route template and status."""

import time
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import bind_log_context, log_context
from . import metrics
from .tracing import extract_context, tracer

# Endpoints polled by machines: counted, but not traced (they would drown the traces that matter).
UNTRACED = frozenset({"/health", "/ready", "/metrics"})
UNMATCHED = "unmatched"  # the route label of a request no route matched (keeps labels few)


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


class ObservedRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status = 500  # what the caller gets if the app raises before answering
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        traced = scope.get("path") not in UNTRACED
        with log_context():
            if not traced:
                try:
                    await self.app(scope, receive, observed_send)
                finally:
                    self._count(scope, method, status, started)
                return
            with tracer().start_as_current_span(
                f"{method} {scope.get('path', '')}", context=extract_context(headers), kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": scope.get("path", "")},
            ) as span:
                try:
                    await self.app(scope, receive, observed_send)
                finally:
                    route = route_template(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    self._count(scope, method, status, started)

    @staticmethod
    def _count(scope: Scope, method: str, status: int, started: float) -> None:
        route = route_template(scope)
        metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        metrics.HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)


async def bind_path_context(request: Request) -> None:
    """An app-wide dependency: a route with a dossier code in its path logs with it."""
    code = request.path_params.get("code")
    if code is not None:
        bind_log_context(dossier_code=code)
