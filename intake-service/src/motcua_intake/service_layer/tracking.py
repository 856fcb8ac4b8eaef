"""Public tracking: a dossier's status and appointment for whoever gives its code and phone, with
failed attempts limited per code and per client (adapters/failed_attempts.py). The answer comes from
intake's view once it has folded what was published before the request (or the wait ran out: the
answer then says how far behind it is)."""

from dataclasses import dataclass
from datetime import datetime

from motcua_shared.refusals import Refused, TooManyAttempts

from ..domain.codes import PROVINCE_TZ
from .applicant_actions import folded_dossier, not_found, view_behind
from .unit import Intake


@dataclass(frozen=True)
class Tracked:
    code: str
    status: str
    appointment_at: datetime | None  # in the province's time zone
    last_event_at: datetime | None  # when the last event folded into the view happened
    consumer_lag: int | None  # events still to fold on the dossier's partition (None: not measured)
    supplement_respond_by: datetime | None = None  # while papers are asked for


def too_many_attempts(seconds: int) -> Refused:
    # One message whichever limit was reached: it must not tell a code that exists from one that does not.
    return TooManyAttempts(
        "too_many_attempts", f"too many failed tracking attempts; retry in {seconds} seconds", retry_after=seconds
    )


async def track(intake: Intake, *, client: str, code: str, phone: str) -> Tracked:
    """The dossier `code` if `phone` is the one it was submitted with; 404 `dossier_not_found` (counted
    as a failed attempt) otherwise, once the view is current (503 `view_behind` before, not counted);
    429 `too_many_attempts` once `client` or `code` had too many, before looking, so that the right
    phone then gets 429 too."""
    wait = intake.tracking_attempts.wait(client=client, code=code)
    if wait is not None:
        raise too_many_attempts(wait)
    folded = await folded_dossier(intake, code, phone)
    dossier = folded.dossier
    if dossier is None:
        if folded.lag != 0:
            raise view_behind(intake, code)
        intake.tracking_attempts.failed(client=client, code=code)
        raise not_found(code)
    appointment = dossier.due_at.astimezone(PROVINCE_TZ) if dossier.due_at else None
    last_event_at = dossier.last_event_at.astimezone(PROVINCE_TZ) if dossier.last_event_at else None
    respond_by = dossier.supplement_respond_by if dossier.status == "supplement_requested" else None
    return Tracked(
        code=dossier.code,
        status=dossier.status or "submitted",
        appointment_at=appointment,
        last_event_at=last_event_at,
        consumer_lag=folded.lag,
        supplement_respond_by=respond_by.astimezone(PROVINCE_TZ) if respond_by else None,
    )
