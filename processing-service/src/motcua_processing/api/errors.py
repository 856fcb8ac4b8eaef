"""Officers' actions refused with more than the shared error shape, so the officer's screen can act
without another request: 409 `illegal_transition` with the dossier's current status and what is
allowed on it; 422 `payment_amount_mismatch` with the amount requested."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from motcua_shared.api import ErrorBody
from motcua_shared.events.envelope import Number
from motcua_shared.lifecycle import portal_status

from ..service_layer.officer_actions import IllegalAction, PaymentMismatch


class IllegalTransitionBody(ErrorBody):
    current_status: str | None
    current_portal_status: str | None
    allowed_event_types: list[str]


class PaymentMismatchBody(ErrorBody):
    requested_amount: Number


def install_action_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IllegalAction)
    async def _illegal(_: Request, exc: IllegalAction) -> JSONResponse:
        body = IllegalTransitionBody(
            code="illegal_transition", message=str(exc),
            current_status=exc.current.value if exc.current else None,
            current_portal_status=portal_status(exc.current) if exc.current else None,
            allowed_event_types=exc.allowed,
        )
        return JSONResponse({"error": body.model_dump()}, status_code=409)

    @app.exception_handler(PaymentMismatch)
    async def _mismatch(_: Request, exc: PaymentMismatch) -> JSONResponse:
        body = PaymentMismatchBody(code="payment_amount_mismatch", message=str(exc), requested_amount=exc.requested)
        return JSONResponse({"error": body.model_dump(mode="json")}, status_code=422)
