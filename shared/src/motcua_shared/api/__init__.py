"""What every motcua HTTP API shares: one error shape, a body size limit, /health, /ready, /metrics,
/asyncapi.json."""

from .app import create_app, serve_asyncapi
from .errors import ApiError, ErrorBody, ErrorResponse, FieldProblem, error_responses, error_shape

__all__ = [
    "ApiError",
    "ErrorBody",
    "ErrorResponse",
    "FieldProblem",
    "create_app",
    "error_responses",
    "error_shape",
    "serve_asyncapi",
]
