"""409 `illegal_transition`: the shared error shape, plus the dossier's current status and what is
allowed on it, so the officer's screen can refresh without another request."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from motcua_shared.api import ErrorBody
from motcua_shared.lifecycle import portal_status

from ..service_layer.officer_actions import IllegalAction


class IllegalTransitionBody(ErrorBody):
    current_status: str | None
    current_portal_status: str | None
    allowed_event_types: list[str]


def install_illegal_transition_handler(app: FastAPI) -> None:
    @app.exception_handler(IllegalAction)
    async def _illegal(_: Request, exc: IllegalAction) -> JSONResponse:
        body = IllegalTransitionBody(
            code="illegal_transition", message=str(exc),
            current_status=exc.current.value if exc.current else None,
            current_portal_status=portal_status(exc.current) if exc.current else None,
            allowed_event_types=exc.allowed,
        )
        return JSONResponse({"error": body.model_dump()}, status_code=409)
