"""Public tracking: a dossier's status and appointment for whoever gives its code and phone, with
failed attempts limited per code and per client (adapters/failed_attempts.py)."""

from dataclasses import dataclass
from datetime import datetime

from motcua_shared.api import ApiError

from ..domain.codes import PROVINCE_TZ
from .applicant_actions import owned_dossier
from .unit import Intake


@dataclass(frozen=True)
class Tracked:
    code: str
    status: str
    appointment_at: datetime | None  # in the province's time zone


def too_many_attempts(seconds: int) -> ApiError:
    # One message whichever limit was reached: it must not tell a code that exists from one that does not.
    return ApiError(429, "too_many_attempts",
                    f"too many failed tracking attempts; retry in {seconds} seconds",
                    headers={"Retry-After": str(seconds)})


async def track(intake: Intake, *, client: str, code: str, phone: str) -> Tracked:
    """The dossier `code` if `phone` is the one it was submitted with; 404 `dossier_not_found` (counted
    as a failed attempt) otherwise; 429 `too_many_attempts` once `client` or `code` had too many,
    before looking, so that the right phone then gets 429 too."""
    wait = intake.tracking_attempts.wait(client=client, code=code)
    if wait is not None:
        raise too_many_attempts(wait)
    try:
        dossier = await owned_dossier(intake, code, phone)
    except ApiError as refused:
        if refused.status == 404:
            intake.tracking_attempts.failed(client=client, code=code)
        raise
    appointment = dossier.due_at.astimezone(PROVINCE_TZ) if dossier.due_at else None
    return Tracked(code=dossier.code, status=dossier.status or "submitted", appointment_at=appointment)
