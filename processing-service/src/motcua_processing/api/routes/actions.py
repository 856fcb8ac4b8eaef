"""Officers' actions on a dossier: each publishes the contract's event and answers the dossier as it
is after it (read-your-writes). 409 `illegal_transition` carries the dossier's current status and
the actions allowed on it (api/errors.py)."""

from fastapi import APIRouter, Depends
from motcua_shared.api import error_responses
from motcua_shared.auth import Principal

from ...service_layer import officer_actions as actions
from ...service_layer import views
from ..deps import Officer, ProcessingDep
from ..idempotency import note_idempotency_key, run_once
from ..schemas import (
    ActionResult,
    ApologyRequest,
    DossierPublic,
    OptionalReason,
    PaymentRecord,
    PaymentRequest,
    RefuseRequest,
    ResultReadyRequest,
    ReturnRequest,
    SupplementRequest,
    TransferRequest,
)

# Every action takes an optional Idempotency-Key (api/idempotency.py).
router = APIRouter(prefix="/v1/dossiers/{code}", tags=["officer actions"], dependencies=[Depends(note_idempotency_key)])
# What every action may refuse with (officer_actions.perform); each route adds its own.
ACTION_CODES = {
    403: ["forbidden_agency"],
    404: ["dossier_not_found"],
    409: ["illegal_transition", "concurrent_action", "idempotency_key_reused", "idempotency_request_in_progress"],
    503: ["view_behind", "broker_unavailable"],
}
NOTES = {
    409: "the dossier's state does not allow the action now: `illegal_transition` gives its `current_status`, "
    "`current_portal_status` and the `allowed_event_types`; `concurrent_action`: another action was taken "
    "at the same moment, read the dossier again; `idempotency_key_reused`: the Idempotency-Key was sent "
    "with another request (use a new key); `idempotency_request_in_progress`: the first request with the "
    "key is still running (retry after `Retry-After`)",
    503: "nothing was done: processing's view is behind what was published before the request (`view_behind`), "
    "the broker did not acknowledge, or the store did not answer; retry after `Retry-After` seconds",
}


def errors(*own: dict[int, list[str]]) -> dict[int | str, dict[str, object]]:
    return error_responses(ACTION_CODES, *own, notes=NOTES)


ERRORS = errors()


async def _act(
    processing: ProcessingDep, principal: Principal, code: str, event_type: str, build: actions.BuildData
) -> ActionResult:
    async def act() -> ActionResult:
        event, dossier = await actions.perform(processing, principal, code, event_type, build)
        remaining = views.remaining(processing, dossier, processing.now())
        state = views.deadline_state(processing, dossier, remaining)
        return ActionResult(
            event_id=str(event.event_id),
            event_type=event.event_type,
            dossier=DossierPublic.of(dossier, remaining, state),
        )

    return await run_once(act)


@router.post("/accept", response_model=ActionResult, responses=errors({409: ["procedure_unknown"]}))
async def accept(code: str, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Accept a submitted dossier: the clock starts now; due = now + the procedure's processing time,
    in working time."""
    return await _act(processing, principal, code, "dossier.accepted", actions.accept(processing))


@router.post("/refuse", response_model=ActionResult, responses=errors({409: ["supplement_not_expired"]}))
async def refuse(code: str, body: RefuseRequest, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Refuse a submitted dossier, with the reason; or a dossier waiting for papers once the applicant's
    time for them has passed (`dossier.supplement_expired`; `reason_code` `supplement_expired`): before
    that, 409 `supplement_not_expired`."""
    return await _act(processing, principal, code, "dossier.refused", actions.refuse(body.reason, body.reason_code))


@router.post("/request-supplement", response_model=ActionResult, responses=ERRORS)
async def request_supplement(
    code: str, body: SupplementRequest, principal: Officer, processing: ProcessingDep
) -> ActionResult:
    """Ask the applicant for missing papers; the clock pauses. The applicant has `respond_within_days`
    working days (default: the procedure's `supplement_time`, else the configured 15); the event carries
    `respond_within` and `respond_by`, when the clock announces `dossier.supplement_expired`."""
    return await _act(
        processing,
        principal,
        code,
        "dossier.supplement_requested",
        actions.request_supplement(processing, body.reason, body.items, body.respond_within_days),
    )


@router.post("/receive-supplement", response_model=ActionResult, responses=errors({409: ["dossier_not_accepted"]}))
async def receive_supplement(code: str, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """The missing papers were handed in at the counter; the clock resumes and the due time moves by
    the working time paused. (Online supplements come through intake.)"""
    return await _act(
        processing, principal, code, "dossier.supplement_received", actions.receive_supplement(processing)
    )


@router.post("/request-payment", response_model=ActionResult, responses=ERRORS)
async def request_payment(
    code: str, body: PaymentRequest, principal: Officer, processing: ProcessingDep
) -> ActionResult:
    """Ask the applicant to pay; the clock pauses."""
    return await _act(processing, principal, code, "dossier.payment_requested", actions.request_payment(body.amount))


@router.post("/record-payment", response_model=ActionResult, responses=errors({422: ["payment_amount_mismatch"]}))
async def record_payment(code: str, body: PaymentRecord, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """The applicant paid at the counter the amount requested; the clock resumes, the due time moved by
    the working time spent waiting. Any other amount is refused with 422 `payment_amount_mismatch` and
    the `requested_amount`: a part payment is not recorded (the clock stays paused); record the payment
    once it is whole. (Online payments come through intake.)"""
    return await _act(
        processing, principal, code, "dossier.payment_completed", actions.record_payment(body.amount, body.method)
    )


@router.post("/suspend", response_model=ActionResult, responses=ERRORS)
async def suspend(code: str, body: OptionalReason, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Suspend handling (e.g. waiting for another agency); the clock pauses."""
    return await _act(processing, principal, code, "dossier.suspended", actions.suspend(body.reason))


@router.post("/resume", response_model=ActionResult, responses=errors({409: ["dossier_not_accepted"]}))
async def resume(code: str, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Resume a suspended dossier; the due time moves by the working time suspended."""
    return await _act(processing, principal, code, "dossier.resumed", actions.resume(processing))


@router.post("/transfer", response_model=ActionResult, responses=errors({422: ["same_agency", "unknown_agency"]}))
async def transfer(code: str, body: TransferRequest, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Hand the dossier to another agency; its officers take it over."""
    return await _act(
        processing,
        principal,
        code,
        "dossier.transferred",
        actions.transfer(processing, body.to_agency_code, body.reason),
    )


@router.post(
    "/apology",
    response_model=ActionResult,
    responses=errors(
        {409: ["apology_already_issued", "apology_too_late"], 422: ["appointment_not_later", "appointment_in_past"]}
    ),
)
async def apology(code: str, body: ApologyRequest, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """Issue an apology letter with a new appointment, which becomes the due time: once per dossier
    (409 `apology_already_issued`) and only before the current due time (409 `apology_too_late`: the
    dossier counts as late without an apology); the appointment must be after the due time (422)."""
    return await _act(
        processing,
        principal,
        code,
        "dossier.apology_issued",
        actions.apology(body.reason, body.new_due_at, body.letter_id),
    )


@router.post("/result-ready", response_model=ActionResult, responses=errors({422: ["finished_in_future"]}))
async def result_ready(
    code: str, body: ResultReadyRequest, principal: Officer, processing: ProcessingDep
) -> ActionResult:
    """The result is ready; its date (finished_at, default now) is what timeliness is judged by."""
    return await _act(
        processing, principal, code, "dossier.result_ready", actions.result_ready(body.result_number, body.finished_at)
    )


@router.post("/return", response_model=ActionResult, responses=ERRORS)
async def return_result(code: str, body: ReturnRequest, principal: Officer, processing: ProcessingDep) -> ActionResult:
    """The result was handed over: directly, by post or online."""
    return await _act(processing, principal, code, "dossier.returned", actions.return_result(body.delivery))
