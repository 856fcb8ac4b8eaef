"""`POST /v1/dossiers` and the applicant's actions on a dossier, plus the payment platform's callback."""

from typing import Any

from fastapi import APIRouter, Request
from motcua_shared import events as ev
from motcua_shared.api import error_responses

from ...service_layer import applicant_actions, submission
from ...service_layer.idempotent import fingerprint, receive_once, run_once
from ..deps import IDEMPOTENT_CODES, IdempotencyKey, IntakeDep, OnceForApplicant, PaymentPlatform, Submitter
from ..schemas import (
    DossierActionResult,
    DossierCreate,
    DossierReceipt,
    PaymentCallback,
    RatingCreate,
    SupplementCreate,
    WithdrawalCreate,
)

router = APIRouter(prefix="/v1", tags=["dossiers"])
# An action on a dossier: decided on intake's view once current (service_layer/applicant_actions.py).
ON_DOSSIER = {404: ["dossier_not_found"], 503: ["view_behind"]}
NOTES = {
    503: "nothing was done: intake's view is behind what was published before the request (`view_behind`), "
    "the broker did not acknowledge, or the store did not answer; retry after `Retry-After` seconds"
}


def errors(*codes: dict[int, list[str]]) -> dict[int | str, dict[str, Any]]:
    return error_responses(*codes, IDEMPOTENT_CODES, notes=NOTES)


@router.post(
    "/dossiers",
    status_code=201,
    response_model=DossierReceipt,
    responses=errors(
        {
            403: ["forbidden_role", "forbidden_agency"],
            404: ["procedure_not_found"],
            409: ["procedure_retired"],
            422: [
                "procedure_not_of_agency",
                "online_submission_not_allowed",
                "receiving_agency_not_allowed",
                "receiving_agency_unknown",
            ],
        }
    ),
)
async def submit_dossier(
    body: DossierCreate, request: Request, intake: IntakeDep, caller: Submitter, key: IdempotencyKey
) -> dict[str, Any]:
    """Receive a dossier. `direct`: a counter officer of the agency; `postal`: a counter officer of the
    agency or the postal service's system (integrator); `online`: the applicant or the portal
    (integrator), for procedures at online level 3 or 4 only. Publishes `dossier.submitted`, and for
    direct and postal dossiers `dossier.accepted` with the appointment (due) date, in one batch.
    Receipt regardless of administrative boundaries: an officer of any agency of the province may
    receive a direct or postal dossier for another agency's procedure at their counter; the competent
    agency processes it, and `dossier.submitted` names the counter in `receiving_agency_code`."""
    # Validated already, by ApplicantIn's stricter rules (validating the e-mail again cost 30 µs).
    applicant = ev.Applicant.model_construct(**body.applicant.model_dump())
    return await receive_once(
        intake,
        caller,
        key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: submission.submit(
            intake,
            caller,
            procedure_code=body.procedure_code,
            agency_code=body.agency_code,
            channel=body.channel,
            applicant=applicant,
            documents=body.documents,
            receiving_agency_code=body.receiving_agency_code,
        ),
    )


@router.post(
    "/dossiers/{code}/supplements",
    status_code=201,
    response_model=DossierActionResult,
    responses=errors(
        ON_DOSSIER, {409: ["supplement_not_requested", "dossier_not_accepted"], 503: ["calendar_unavailable"]}
    ),
)
async def supply_papers(code: str, body: SupplementCreate, once: OnceForApplicant) -> dict[str, Any]:
    """Hand in the papers an officer asked for (the dossier must be `supplement_requested`); the
    appointment moves by the working time the dossier waited. Publishes `dossier.supplement_received`.
    The applicant (or the portal for them) proves ownership with the phone given at submission."""
    return await once(
        body,
        lambda intake, caller: applicant_actions.supply_papers(
            intake, code=code, phone=body.phone, documents=body.documents, actor=caller.subject
        ),
    )


@router.post(
    "/dossiers/{code}/withdrawal",
    status_code=201,
    response_model=DossierActionResult,
    responses=errors(ON_DOSSIER, {409: ["dossier_closed"]}),
)
async def withdraw(code: str, body: WithdrawalCreate, once: OnceForApplicant) -> dict[str, Any]:
    """Withdraw an open dossier. Publishes `dossier.withdrawn`. Ownership proved by phone."""
    return await once(
        body,
        lambda intake, caller: applicant_actions.withdraw(
            intake, code=code, phone=body.phone, reason=body.reason, actor=caller.subject
        ),
    )


@router.post(
    "/dossiers/{code}/rating",
    status_code=201,
    response_model=DossierActionResult,
    responses=errors(ON_DOSSIER, {409: ["dossier_not_returned", "already_rated"]}),
)
async def rate(code: str, body: RatingCreate, once: OnceForApplicant) -> dict[str, Any]:
    """Rate the service once, after the result was returned. Publishes `dossier.rated`. Ownership proved by phone."""
    return await once(
        body,
        lambda intake, caller: applicant_actions.rate(
            intake, code=code, phone=body.phone, rating=body.rating, comment=body.comment, actor=caller.subject
        ),
    )


@router.post(
    "/payments/callback",
    status_code=201,
    response_model=DossierActionResult,
    responses=errors(ON_DOSSIER, {409: ["payment_not_requested", "payment_amount_mismatch"]}),
)
async def payment_callback(
    body: PaymentCallback,
    request: Request,
    intake: IntakeDep,
    caller: PaymentPlatform,
    key: IdempotencyKey,
) -> dict[str, Any]:
    """The payment platform (integrator token) reports that a requested fee was paid. The dossier must
    be awaiting payment, and the amount the one requested. Publishes `dossier.payment_completed`."""
    return await run_once(
        intake,
        caller,
        key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: applicant_actions.record_payment(
            intake, code=body.dossier_code, amount=body.amount, method=body.method, actor=caller.subject
        ),
    )
