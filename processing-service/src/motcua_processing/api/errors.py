"""Officers' actions refused with more than the shared error shape, so the officer's screen can act
without another request: 409 `illegal_transition` with the dossier's current status and the actions
allowed on it; 422 `payment_amount_mismatch` with the amount requested. Both shapes are in the OpenAPI
wherever a route lists their codes."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from motcua_shared.api import ErrorBody, error_shape
from motcua_shared.events.envelope import Number
from motcua_shared.lifecycle import DossierStatus, portal_status
from pydantic import BaseModel, Field

from ..service_layer.officer_actions import IllegalAction, PaymentMismatch


class IllegalTransitionBody(ErrorBody):
    current_status: DossierStatus | None = Field(description="the dossier's status now (null: not known)")
    current_portal_status: str | None = Field(description="the national portal's name of that status")
    allowed_event_types: list[str] = Field(
        description="the events of the officer actions allowed on the dossier now (`dossier.accepted`: "
        "`POST …/accept`, …); never the clock's (`dossier.overdue`, `dossier.due_soon`) nor the "
        "applicant's, done through intake"
    )


class IllegalTransitionResponse(BaseModel):
    error: IllegalTransitionBody


class PaymentMismatchBody(ErrorBody):
    requested_amount: Number = Field(description="the amount the dossier awaits, the only one recorded")


class PaymentMismatchResponse(BaseModel):
    error: PaymentMismatchBody


def install_action_error_handlers(app: FastAPI) -> None:
    error_shape(app, "illegal_transition", IllegalTransitionResponse)
    error_shape(app, "payment_amount_mismatch", PaymentMismatchResponse)

    @app.exception_handler(IllegalAction)
    async def _illegal(_: Request, exc: IllegalAction) -> JSONResponse:
        body = IllegalTransitionBody(
            code="illegal_transition",
            message=str(exc),
            current_status=exc.current,
            current_portal_status=portal_status(exc.current) if exc.current else None,
            allowed_event_types=exc.allowed,
        )
        return JSONResponse({"error": body.model_dump(mode="json")}, status_code=409)

    @app.exception_handler(PaymentMismatch)
    async def _mismatch(_: Request, exc: PaymentMismatch) -> JSONResponse:
        body = PaymentMismatchBody(code="payment_amount_mismatch", message=str(exc), requested_amount=exc.requested)
        return JSONResponse({"error": body.model_dump(mode="json")}, status_code=422)
