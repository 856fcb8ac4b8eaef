"""`GET /v1/track/{code}?phone=…`: public tracking, without any personal data."""

from fastapi import APIRouter, Query
from motcua_shared.api import ErrorResponse

from ...domain.codes import PROVINCE_TZ
from ...service_layer.applicant_actions import owned_dossier
from ..deps import IntakeDep
from ..schemas import TrackingPublic

router = APIRouter(prefix="/v1", tags=["tracking"])


@router.get("/track/{code}", response_model=TrackingPublic, responses={404: {"model": ErrorResponse}})
async def track(code: str, intake: IntakeDep, phone: str = Query(min_length=1, max_length=30)) -> TrackingPublic:
    """Status and appointment date of a dossier, when `phone` is the one given at submission.
    An unknown code and a wrong phone get the same 404 `dossier_not_found`."""
    dossier = await owned_dossier(intake, code, phone)
    appointment = dossier.due_at.astimezone(PROVINCE_TZ) if dossier.due_at else None
    return TrackingPublic(dossier_code=dossier.code, status=dossier.status or "submitted",
                          appointment_at=appointment)
