"""Processing's fold of dossier events, without I/O: apply once, anomalies instead of crashes, due
times moved by pauses, who/when/what/why kept."""

from datetime import datetime, timedelta
from decimal import Decimal

from motcua_processing.domain.dossier import Dossier, fold
from motcua_processing.service_layer.views import is_overdue
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.lifecycle import DossierStatus

CAL = load_calendar()
ID = "d-1"
T0 = datetime(2025, 9, 3, 10, 0, tzinfo=PROVINCE_TZ)  # Wednesday


def _submitted() -> ev.DossierSubmitted:
    return ev.DossierSubmitted(
        occurred_at=T0,
        source="intake-service",
        dossier_id=ID,
        data=ev.SubmittedData(
            dossier_code="S-250903-0001",
            procedure_code="P1",
            agency_code="S",
            channel=ev.Channel.ONLINE,
            applicant=ev.Applicant(full_name="An"),
        ),
    )


def _accepted(due: datetime) -> ev.DossierAccepted:
    return ev.DossierAccepted(
        occurred_at=T0, source="processing-service", dossier_id=ID, data=ev.AcceptedData(due_at=due)
    )


def _run(*events: ev.DossierEvent, who: str | None = None) -> Dossier:
    dossier: Dossier | None = None
    for event in events:
        dossier = fold(dossier, event, CAL, who=who)
    assert dossier is not None
    return dossier


def test_an_event_seen_twice_changes_nothing_the_second_time() -> None:
    submitted = _submitted()
    once = _run(submitted)
    assert _run(submitted, submitted) == once
    assert once.status is DossierStatus.SUBMITTED and len(once.history) == 1


def test_an_event_the_lifecycle_forbids_is_kept_as_an_anomaly() -> None:
    returned = ev.DossierReturned(
        occurred_at=T0, source="legacy", dossier_id=ID, data=ev.ReturnedData(delivery=ev.Delivery.DIRECT)
    )
    dossier = _run(_submitted(), returned, returned)
    assert dossier.status is DossierStatus.SUBMITTED
    assert [(a.event_type, a.status, a.source) for a in dossier.anomalies] == [
        ("dossier.returned", DossierStatus.SUBMITTED, "legacy")
    ]
    assert len(dossier.history) == 1


def test_an_event_before_the_submission_is_an_anomaly_on_an_unknown_dossier() -> None:
    dossier = _run(_accepted(T0 + timedelta(days=3)))
    assert dossier.status is None and dossier.code is None
    assert "not yet submitted" in dossier.anomalies[0].reason


def test_payment_completed_moves_the_due_time_by_the_working_time_paused() -> None:
    due = datetime(2025, 9, 5, 9, 0, tzinfo=PROVINCE_TZ)
    requested = ev.DossierPaymentRequested(
        occurred_at=T0, source="p", dossier_id=ID, data=ev.PaymentRequestedData(amount=Decimal(1000))
    )
    # paid Thursday 10:00: 8 working hours later
    paid = ev.DossierPaymentCompleted(
        occurred_at=T0 + timedelta(days=1),
        source="intake-service",
        dossier_id=ID,
        data=ev.PaymentCompletedData(amount=Decimal(1000), method=ev.PaymentMethod.ONLINE),
    )
    waiting = _run(_submitted(), _accepted(due), requested)
    assert waiting.paused and waiting.paused_since == T0 and not waiting.clock_running
    paid_dossier = fold(waiting, paid, CAL)
    assert paid_dossier.status is DossierStatus.IN_PROGRESS and paid_dossier.paused_since is None
    # Friday 09:00 + 8 working hours: over the weekend to Monday 09:00
    assert paid_dossier.due_at == datetime(2025, 9, 8, 9, 0, tzinfo=PROVINCE_TZ)


def test_history_keeps_who_when_what_why() -> None:
    refused = ev.DossierRefused(
        occurred_at=T0 + timedelta(minutes=5),
        source="processing-service",
        dossier_id=ID,
        data=ev.RefusedData(reason="Không thuộc thẩm quyền"),
    )
    dossier = fold(_run(_submitted()), refused, CAL, who="officer-lan")
    entry = dossier.history[-1]
    assert (entry.who, entry.when, entry.event_type, entry.why, entry.status) == (
        "officer-lan",
        T0 + timedelta(minutes=5),
        "dossier.refused",
        "Không thuộc thẩm quyền",
        DossierStatus.REFUSED,
    )
    assert dossier.history[0].who == "intake-service"


def test_a_dossier_is_rated_once() -> None:
    due = T0 + timedelta(days=2)
    ready = ev.DossierResultReady(occurred_at=T0, source="p", dossier_id=ID, data=ev.ResultReadyData())
    returned = ev.DossierReturned(
        occurred_at=T0, source="p", dossier_id=ID, data=ev.ReturnedData(delivery=ev.Delivery.ONLINE)
    )

    def rated() -> ev.DossierRated:
        return ev.DossierRated(
            occurred_at=T0, source="intake-service", dossier_id=ID, data=ev.RatedData(rating=ev.Rating.SATISFIED)
        )

    dossier = _run(_submitted(), _accepted(due), ready, returned, rated(), rated())
    assert dossier.rating == "satisfied" and len(dossier.anomalies) == 1
    assert "rated once" in dossier.anomalies[0].reason


def test_transfer_moves_the_dossier_to_the_other_agency_and_apology_sets_the_appointment() -> None:
    new_due = T0 + timedelta(days=10)
    transferred = ev.DossierTransferred(
        occurred_at=T0, source="p", dossier_id=ID, data=ev.TransferredData(to_agency_code="STP")
    )
    apology = ev.DossierApologyIssued(
        occurred_at=T0, source="p", dossier_id=ID, data=ev.ApologyIssuedData(reason="Xác minh", new_due_at=new_due)
    )
    dossier = _run(_submitted(), _accepted(T0 + timedelta(days=2)), transferred, apology)
    assert dossier.agency_code == "STP" and dossier.due_at == new_due == dossier.apology_due_at
    assert dossier.status is DossierStatus.ACCEPTED


def test_overdue_is_judged_on_the_running_clock_and_frozen_while_paused() -> None:
    due = T0 + timedelta(hours=1)
    accepted = _run(_submitted(), _accepted(due))
    assert not is_overdue(accepted, T0) and is_overdue(accepted, T0 + timedelta(hours=2))
    suspended = fold(
        accepted,
        ev.DossierSuspended(occurred_at=T0 + timedelta(minutes=30), source="p", dossier_id=ID, data=ev.SuspendedData()),
        CAL,
    )
    assert not is_overdue(suspended, T0 + timedelta(days=5))
