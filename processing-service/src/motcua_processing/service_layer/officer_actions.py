"""Officers' actions on a dossier. Each one:

1. finds the dossier (404) and checks the officer acts for its agency (403);
2. checks the lifecycle allows it now (409 `illegal_transition`, with the current status), and takes
   the dossier's turn, so that of two officers acting on the same state at once only one goes on
   (409 `concurrent_action` for the other); before refusing with 404, 403 or 409 it waits for the
   view to fold what was published before the request (intake's events may be on their way) and
   looks again: 503 `view_behind` when the view is still behind;
3. builds the contract's event (computing due times with the working calendar);
4. publishes it on `dossier.events` (503 when the broker does not acknowledge: nothing happened);
5. folds it into processing's own store at once, so the officer reads the new state from this
   service right away. The same event coming back from Kafka is not applied twice (event_id).
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from motcua_shared import events as ev
from motcua_shared.auth import Principal, ensure_agency
from motcua_shared.lifecycle import DossierStatus, IllegalTransition, allowed_events, next_status
from motcua_shared.publishing import BrokerUnavailable
from motcua_shared.refusals import Conflict, Invalid, NotFound, Refused, Unavailable

from ..domain.deadlines import due_on_acceptance, moved_by_pause
from ..domain.dossier import Dossier
from .unit import Processing

# The events an officer's action publishes (api/routes/actions.py): all that a refusal offers as
# allowed, never what no caller can do (the clock's `dossier.overdue`, `dossier.due_soon`) nor what
# only the applicant does, through intake (withdraw, rate).
OFFICER_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "dossier.accepted",
        "dossier.refused",
        "dossier.supplement_requested",
        "dossier.supplement_received",
        "dossier.payment_requested",
        "dossier.payment_completed",
        "dossier.suspended",
        "dossier.resumed",
        "dossier.transferred",
        "dossier.apology_issued",
        "dossier.result_ready",
        "dossier.returned",
    }
)


class IllegalAction(Exception):
    """The action's event is not allowed on the dossier's current status."""

    def __init__(self, code: str, current: DossierStatus | None, event_type: str) -> None:
        status = current.value if current else "unknown"
        super().__init__(f"dossier {code} is {status}: {event_type} is not allowed now")
        self.code = code
        self.current = current
        self.event_type = event_type
        self.allowed = [t for t in allowed_events(current) if t in OFFICER_EVENT_TYPES]


BuildData = Callable[[Dossier, datetime], Awaitable[ev.Payload]]


async def perform(
    processing: Processing, principal: Principal, code: str, event_type: str, build: BuildData
) -> tuple[ev.DossierEvent, Dossier]:
    """Carry out one officer action (see the module docstring); returns the event and the dossier after it."""
    dossier, turn = await _take_turn(processing, principal, code, event_type)
    try:
        now = processing.now()
        event_class = ev.EVENT_CLASSES[event_type]
        assert issubclass(event_class, ev.DossierEvent)
        event = event_class(
            event_id=uuid4(),
            occurred_at=now,
            source=processing.source,
            actor=principal.subject,
            dossier_id=dossier.dossier_id,
            data=await build(dossier, now),
        )
        await processing.publisher.publish(event)
    except BrokerUnavailable as exc:
        await processing.dossiers.give_back_turn(turn)
        raise Unavailable(
            "broker_unavailable",
            "the event broker did not acknowledge; nothing was done, retry",
            retry_after=processing.retry_after_seconds,
        ) from exc
    except BaseException:
        await processing.dossiers.give_back_turn(turn)  # nothing was published: the turn is free again
        raise
    after, _ = await processing.dossiers.apply(event, who=principal.subject)
    return event, after


async def _take_turn(processing: Processing, principal: Principal, code: str, event_type: str) -> tuple[Dossier, str]:
    """The dossier, checked for the officer's agency and the action's legality, with this action's turn
    on it; an action racing another on the same dossier gets 409 `concurrent_action`."""
    refreshed = False

    async def refresh(dossier_id: str | None) -> bool:
        """Before a refusal: the view brought up to date (on every partition for an unknown code)."""
        if await processing.folded(dossier_id) != 0:
            raise processing.view_behind(code)
        return True

    for _ in range(4):
        found = await processing.dossiers.by_code(code)
        if found is None or found.agency_code is None:
            if not refreshed:
                refreshed = await refresh(None)
                continue
            raise NotFound("dossier_not_found", f"no dossier {code}")
        dossier, version = await processing.dossiers.latest(found.dossier_id)
        assert dossier is not None and dossier.agency_code is not None
        try:
            # A transfer may be on its way; a dissolved agency's dossier is its successor's to act on.
            ensure_agency(principal, await processing.responsible(dossier.agency_code))
            next_status(dossier.status, event_type)
        except (Refused, IllegalTransition) as refusal:
            if not refreshed:
                refreshed = await refresh(dossier.dossier_id)
                continue
            if isinstance(refusal, Refused):
                raise
            raise IllegalAction(code, dossier.status, event_type) from None
        turn = await processing.dossiers.take_turn(dossier.dossier_id, version)
        if turn is None:
            break
        if (await processing.dossiers.latest(dossier.dossier_id))[1] == version:
            return dossier, turn
        await processing.dossiers.give_back_turn(turn)  # an event arrived meanwhile: check again on it
    raise Conflict(
        "concurrent_action", f"another action on dossier {code} was taken at the same moment; read it again and retry"
    )


# --- what each action publishes (each a BuildData: dossier, now -> the event's data) -------------


def accept(processing: Processing) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        # The clock starts at acceptance (after the cut-off: the next working day): due = then + the
        # procedure's legal processing time (for an online dossier, its online processing time when set).
        terms = await processing.catalogue.procedure(d.procedure_code) if d.procedure_code else None
        if terms is None and d.procedure_code:
            # The catalogue has its own consumer and may trail the dossiers': before refusing, let it
            # fold what was published before now.
            await processing.freshness.wait_folded(
                processing.topics.catalog_events, key=None, within=processing.view_wait_seconds
            )
            terms = await processing.catalogue.procedure(d.procedure_code)
        if terms is None:
            raise Conflict(
                "procedure_unknown", f"procedure {d.procedure_code} is not in processing's catalogue yet; retry later"
            )
        channel = ev.Channel(d.channel) if d.channel else None
        return ev.AcceptedData(due_at=due_on_acceptance(processing.calendar, now, terms, channel))

    return build


def resumed_due_at(processing: Processing, dossier: Dossier, now: datetime) -> datetime:
    """The due time moved by the working time the dossier spent paused."""
    if dossier.due_at is None:
        raise Conflict("dossier_not_accepted", f"dossier {dossier.code} has no due time")
    paused_since = dossier.paused_since or now
    return moved_by_pause(processing.calendar, dossier.due_at, paused_since, now)


def refuse(reason: str, reason_code: ev.RefusalReason | None = None) -> BuildData:
    """A submitted dossier is refused on receipt; one waiting for papers only once the applicant's time
    for them has passed (`dossier.supplement_expired`), and then for that reason."""

    async def build(d: Dossier, now: datetime) -> ev.Payload:
        waiting = d.status is DossierStatus.SUPPLEMENT_REQUESTED
        if (waiting or reason_code is ev.RefusalReason.SUPPLEMENT_EXPIRED) and d.supplement_expired_at is None:
            until = (
                f" (hạn bổ sung · respond by {d.supplement_respond_by.isoformat()})" if d.supplement_respond_by else ""
            )
            raise Conflict(
                "supplement_not_expired",
                f"hồ sơ {d.code} còn trong thời hạn bổ sung, chưa thể từ chối vì lý do này{until} "
                f"(dossier {d.code}: the applicant's time for the papers has not passed)",
            )
        code = ev.RefusalReason.SUPPLEMENT_EXPIRED if waiting else reason_code
        return ev.RefusedData(reason=reason, reason_code=code)

    return build


def request_supplement(
    processing: Processing, reason: str, items: list[str] | None, respond_within_days: Decimal | None
) -> BuildData:
    """The applicant's time for the papers: the officer's, else the procedure's `supplement_time`, else
    the configured default; `respond_by` is when it ends, in working time."""

    async def build(d: Dossier, now: datetime) -> ev.Payload:
        days = respond_within_days
        if days is None and d.procedure_code:
            terms = await processing.catalogue.procedure(d.procedure_code)
            days = terms.supplement_time if terms is not None else None
        days = days or processing.supplement_working_days
        limit = ev.ProcessingTime(value=days, unit=ev.TimeUnit.WORKING_DAYS)
        return ev.SupplementRequestedData(
            reason=reason,
            items=items,
            respond_within=ev.WorkingDays(value=days),
            # to the second: the store keeps milliseconds, and every view
            # (processing's answer, intake's tracking) must say the same time
            respond_by=processing.calendar.due_at(now, limit).replace(microsecond=0),
        )

    return build


def receive_supplement(processing: Processing) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        return ev.SupplementReceivedData(due_at=resumed_due_at(processing, d, now))

    return build


def request_payment(amount: Decimal) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        return ev.PaymentRequestedData(amount=amount)

    return build


class PaymentMismatch(Exception):
    """The amount recorded is not the amount requested: a part payment (or too much) does not resume
    the clock; the officer records the payment once it is whole."""

    def __init__(self, code: str, requested: Decimal, amount: Decimal) -> None:
        super().__init__(
            f"hồ sơ {code} chờ nộp đúng {requested}, không phải {amount} "
            f"(dossier {code} awaits exactly {requested}, not {amount})"
        )
        self.requested = requested


def record_payment(amount: Decimal, method: ev.PaymentMethod) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        requested = d.requested_amount
        if requested is not None and amount != requested:
            raise PaymentMismatch(d.code or d.dossier_id, requested, amount)
        # payment_completed carries no due time: the fold moves it by the pause, as every reader does.
        return ev.PaymentCompletedData(amount=amount, method=method)

    return build


def suspend(reason: str | None) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        return ev.SuspendedData(reason=reason)

    return build


def resume(processing: Processing) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        return ev.ResumedData(due_at=resumed_due_at(processing, d, now))

    return build


def transfer(processing: Processing, to_agency_code: str, reason: str | None) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        if d.agency_code == to_agency_code:
            raise Invalid("same_agency", f"dossier {d.code} is already with {to_agency_code}")
        if await processing.catalogue.agency(to_agency_code) is None:
            raise Invalid("unknown_agency", f"agency {to_agency_code} is not in the catalogue")
        return ev.TransferredData(to_agency_code=to_agency_code, reason=reason)

    return build


def apology(reason: str, new_due_at: datetime, letter_id: str | None) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        # DOMAIN.md: one letter, issued before the deadline it apologises for (a paused clock stands still).
        if d.apology_due_at is not None:
            raise Conflict(
                "apology_already_issued",
                f"hồ sơ {d.code} đã có thư xin lỗi, hẹn lại {d.apology_due_at.isoformat()}; chỉ được "
                f"hẹn lại một lần (dossier {d.code} already has its apology letter; the appointment "
                f"is moved once)",
            )
        if d.due_at is not None and d.due_at <= (d.paused_since or now):
            raise Conflict(
                "apology_too_late",
                f"hồ sơ {d.code} đã quá hạn {d.due_at.isoformat()}; thư xin lỗi phải được gửi trước "
                f"hạn, hồ sơ được tính là trễ hạn không có thư xin lỗi (dossier {d.code} was due "
                f"{d.due_at.isoformat()}: an apology letter is issued before the due time; the "
                f"dossier counts as late without one)",
            )
        if d.due_at is not None and new_due_at <= d.due_at:
            raise Invalid(
                "appointment_not_later",
                f"the new appointment must be after the current due time {d.due_at.isoformat()}",
            )
        if new_due_at <= now:
            raise Invalid("appointment_in_past", "the new appointment must be in the future")
        return ev.ApologyIssuedData(reason=reason, new_due_at=new_due_at, letter_id=letter_id)

    return build


def result_ready(result_number: str | None, finished_at: datetime | None) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        if finished_at is not None and finished_at > now:
            raise Invalid("finished_in_future", "finished_at must not be in the future")
        return ev.ResultReadyData(result_number=result_number, finished_at=finished_at)

    return build


def return_result(delivery: ev.Delivery) -> BuildData:
    async def build(d: Dossier, now: datetime) -> ev.Payload:
        return ev.ReturnedData(delivery=delivery)

    return build
