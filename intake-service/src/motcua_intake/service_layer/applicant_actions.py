"""What an applicant does after submitting: supply missing papers, withdraw, rate the service; and
the payment platform's callback when the applicant paid.

Applicants prove they own a dossier with the phone number given at submission (compared in its
national form against a keyed hash); a wrong phone gets the same 404 as an unknown code, so the
API does not reveal which dossier codes exist.

Each action is decided on intake's view of the dossier once the view has folded every event
published before the request (processing's decisions, an import): intake waits for its consumer
group up to `view_wait_seconds`, then answers 503 `view_behind` rather than a 409 or 404 that would
only be the view's lag (motcua_shared.freshness)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from motcua_shared import events as ev
from motcua_shared.lifecycle import moved_by_pause
from motcua_shared.refusals import Conflict, NotFound, Refused, Unavailable

from ..domain import tracking
from ..domain.codes import PROVINCE_TZ
from ..domain.phones import phone_hash
from ..domain.view import DossierView
from .unit import Decision, Intake


def not_found(code: str) -> Refused:
    return NotFound("dossier_not_found", f"no dossier {code} with this phone number")


def view_behind(intake: Intake, code: str) -> Refused:
    seconds = intake.retry_after_seconds
    return Unavailable(
        "view_behind",
        f"dữ liệu hồ sơ {code} ở dịch vụ tiếp nhận chưa kịp cập nhật; xin thử lại sau {seconds} giây "
        f"(intake's view has not yet folded every event published before this request; "
        f"retry in {seconds} seconds)",
        retry_after=seconds,
    )


@dataclass(frozen=True)
class Folded:
    """Intake's view of a dossier once brought up to date, and how current it is."""

    dossier: DossierView | None  # None: no such dossier (with this phone)
    lag: int | None  # events on its partition still to fold (0: current; None: the broker did not say)


def _owns(intake: Intake, dossier: DossierView, phone: str | None) -> bool:
    return phone is None or (
        dossier.phone_hash is not None and dossier.phone_hash == phone_hash(phone, intake.phone_hash_key)
    )


async def folded_dossier(intake: Intake, code: str, phone: str | None) -> Folded:
    """The dossier `code` (if `phone`, when given, is the one it was submitted with), read after
    waiting up to `view_wait_seconds` for the consumer group to fold every event published before
    this call on the dossier's partition; on every partition when the view does not know the code
    or the phone does not match, so that "no such dossier" is never only the view's lag."""
    known = await intake.dossiers.by_code(code)
    key = known.dossier_id if known is not None and _owns(intake, known, phone) else None
    lag = await intake.freshness.wait_folded(intake.topics.dossier_events, key=key, within=intake.view_wait_seconds)
    dossier = await intake.dossiers.by_code(code)
    return Folded(dossier if dossier is not None and _owns(intake, dossier, phone) else None, lag)


async def current_dossier(intake: Intake, code: str, phone: str | None) -> DossierView:
    """The dossier an action is decided on: `folded_dossier` once the view is current, 503
    `view_behind` while it is not, 404 when there is no such dossier."""
    folded = await folded_dossier(intake, code, phone)
    if folded.lag != 0:
        raise view_behind(intake, code)
    if folded.dossier is None and phone is None:
        raise NotFound("dossier_not_found", f"there is no dossier {code}")
    if folded.dossier is None:
        raise not_found(code)
    return folded.dossier


def _now() -> datetime:
    return datetime.now(UTC).astimezone(PROVINCE_TZ)


def _decision(intake: Intake, dossier: DossierView, event: ev.DossierEvent, response: dict[str, object]) -> Decision:
    return Decision(
        topic=intake.topics.dossier_events,
        key=dossier.dossier_id,
        events=[event],
        response={"dossier_code": dossier.code, "event_id": str(event.event_id), **response},
    )


async def supply_papers(
    intake: Intake,
    *,
    code: str,
    phone: str,
    documents: list[ev.Document],
    actor: str | None = None,
) -> Decision:
    """The missing papers arrived: the clock resumes and the appointment moves by the working time paused."""
    dossier = await current_dossier(intake, code, phone)
    if dossier.status != "supplement_requested":
        raise Conflict("supplement_not_requested", f"dossier {code} is not waiting for papers")
    if dossier.due_at is None:
        raise Conflict("dossier_not_accepted", f"dossier {code} has no appointment yet")
    now = _now()
    paused_at = dossier.paused_at or now
    due_at = moved_by_pause(intake.calendar, dossier.due_at, paused_at, now).astimezone(PROVINCE_TZ)
    event = ev.DossierSupplementReceived(
        occurred_at=now,
        source=intake.source,
        actor=actor,
        dossier_id=dossier.dossier_id,
        data=ev.SupplementReceivedData(due_at=due_at),
    )
    return _decision(
        intake,
        dossier,
        event,
        {
            "status": tracking.next_status(dossier.status, event),
            "appointment_at": due_at.isoformat(),
            "documents_received": len(documents),
        },
    )


async def withdraw(intake: Intake, *, code: str, phone: str, reason: str | None, actor: str | None = None) -> Decision:
    """The applicant takes the dossier back; only while it is open."""
    dossier = await current_dossier(intake, code, phone)
    if not tracking.is_open(dossier.status):
        raise Conflict("dossier_closed", f"dossier {code} is {dossier.status} and can no longer be withdrawn")
    event = ev.DossierWithdrawn(
        occurred_at=_now(),
        source=intake.source,
        actor=actor,
        dossier_id=dossier.dossier_id,
        data=ev.WithdrawnData(reason=reason),
    )
    return _decision(intake, dossier, event, {"status": tracking.next_status(dossier.status, event)})


async def rate(
    intake: Intake, *, code: str, phone: str, rating: ev.Rating, comment: str | None, actor: str | None = None
) -> Decision:
    """One rating per returned dossier."""
    dossier = await current_dossier(intake, code, phone)
    if dossier.status != "returned":
        raise Conflict("dossier_not_returned", f"dossier {code} can be rated once its result was returned")
    if dossier.rating is not None or not await intake.dossiers.claim_rating(dossier.dossier_id):
        raise Conflict("already_rated", f"dossier {code} has already been rated")
    event = ev.DossierRated(
        occurred_at=_now(),
        source=intake.source,
        actor=actor,
        dossier_id=dossier.dossier_id,
        data=ev.RatedData(rating=rating, comment=comment),
    )
    return _decision(intake, dossier, event, {"rating": rating.value})


async def record_payment(
    intake: Intake,
    *,
    code: str,
    amount: Decimal,
    method: ev.PaymentMethod,
    actor: str | None = None,
) -> Decision:
    """The payment platform confirms the applicant paid what was requested."""
    dossier = await current_dossier(intake, code, None)
    if dossier.status != "awaiting_payment":
        raise Conflict("payment_not_requested", f"dossier {code} is not awaiting a payment")
    requested = dossier.payment_requested_amount
    if requested is not None and Decimal(requested) != amount:
        raise Conflict("payment_amount_mismatch", f"dossier {code} awaits {requested}, not {amount}")
    event = ev.DossierPaymentCompleted(
        occurred_at=_now(),
        source=intake.source,
        actor=actor,
        dossier_id=dossier.dossier_id,
        data=ev.PaymentCompletedData(amount=amount, method=method),
    )
    return _decision(intake, dossier, event, {"status": tracking.next_status(dossier.status, event)})
