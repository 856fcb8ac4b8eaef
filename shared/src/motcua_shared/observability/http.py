"""What the shared app adds to every request besides FastAPI's own OpenTelemetry SERVER span (which
continues the caller's `traceparent`; see `telemetry_config`): a log context (bound to the dossier
code when the route has `{code}` in its path), and the request's count and latency by route template
and status in Prometheus."""

import time
from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from ..asgi import HttpMiddleware
from ..logs import bind_log_context, log_context
from . import metrics

# Endpoints polled by machines: counted, but not traced (they would drown the traces that matter).
UNTRACED = frozenset({"/health", "/ready", "/metrics"})
UNMATCHED = "unmatched"  # the route label of a request no route matched (keeps labels few)


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED


def telemetry_config() -> TelemetryConfig:
    """FastAPI's native OpenTelemetry: request spans on whatever tracer provider is installed
    (none unless configure_tracing installed one). Its log export stays off: logs go through the
    masked JSON logging only, and FastAPI's would carry request values as they came."""
    return {"tracing": True, "metrics": False, "logs": False, "auto_configure": False, "exclude": _untraced}


def route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


class ObservedRequests(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500  # what the caller gets if the app raises before answering
        started = time.perf_counter()

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with log_context():
            try:
                await self.app(scope, receive, observed_send)
            finally:
                route = route_template(scope)
                method = scope["method"]
                metrics.HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
                metrics.HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)


async def bind_path_context(request: Request) -> None:
    """An app-wide dependency: a route with a dossier code in its path logs with it."""
    code = request.path_params.get("code")
    if code is not None:
        bind_log_context(dossier_code=code)
