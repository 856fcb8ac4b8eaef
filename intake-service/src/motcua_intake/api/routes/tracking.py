"""`GET /v1/track/{code}?phone=…`: public tracking, without any personal data."""

from fastapi import APIRouter, Query, Request
from motcua_shared.api import error_responses
from motcua_shared.freshness import AsOf

from ...service_layer.tracking import track as track_dossier
from ..deps import IntakeDep, client_address
from ..schemas import TrackingPublic

router = APIRouter(prefix="/v1", tags=["tracking"])
ERRORS = error_responses(
    {404: ["dossier_not_found"], 429: ["too_many_attempts"], 503: ["view_behind"]},
    notes={
        404: "no dossier with this code and phone",
        429: "too many failed attempts for this code or from this client; retry after `Retry-After` seconds",
        503: "`view_behind`: intake's view has not yet folded what was published before the request (and the "
        "code is not in it yet), or the store did not answer; retry after `Retry-After` seconds",
    },
)


@router.get("/track/{code}", response_model=TrackingPublic, responses=ERRORS)
async def track(
    code: str, request: Request, intake: IntakeDep, phone: str = Query(min_length=1, max_length=30)
) -> TrackingPublic:
    """Status and appointment date of a dossier, when `phone` is the one given at submission (and while
    papers are asked for, `supplement_respond_by`: the time to hand them in).
    An unknown code and a wrong phone get the same 404 `dossier_not_found`. Failed attempts are
    limited per code and per client (429 `too_many_attempts` with `Retry-After`), then even the right
    phone gets 429 until the window passes. The answer waits a few seconds for intake's view to fold
    what was published before the request, and says in `as_of` how current it is."""
    tracked = await track_dossier(intake, client=client_address(request), code=code, phone=phone)
    return TrackingPublic(
        dossier_code=tracked.code,
        status=tracked.status,
        appointment_at=tracked.appointment_at,
        supplement_respond_by=tracked.supplement_respond_by,
        as_of=AsOf(last_event_at=tracked.last_event_at, consumer_lag=tracked.consumer_lag),
    )
