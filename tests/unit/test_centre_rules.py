"""Issue 18's pure rules, without I/O: processing's fold keeps the supplement time (computing
`respond_by` from `respond_within` when a producer gave only that) and forgets it once the papers
came; reporting's uncollected counter rises on the announcement and falls on the return."""

from datetime import datetime, timedelta
from decimal import Decimal

from motcua_processing.domain.dossier import Dossier, fold
from motcua_reporting.domain.contributions import uncollected_changes
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar

CAL = load_calendar()
T0 = datetime(2025, 9, 3, 10, 0, tzinfo=PROVINCE_TZ)  # Wednesday


def _event(cls: type[ev.DossierEvent], at: datetime, data: ev.Payload) -> ev.DossierEvent:
    return cls(occurred_at=at, source="test", dossier_id="d-1", data=data)


def _base() -> list[ev.DossierEvent]:
    return [
        _event(
            ev.DossierSubmitted,
            T0,
            ev.SubmittedData(
                dossier_code="S-250903-0001",
                procedure_code="P1",
                agency_code="S",
                channel=ev.Channel.DIRECT,
                applicant=ev.Applicant(full_name="An"),
            ),
        ),
        _event(ev.DossierAccepted, T0, ev.AcceptedData(due_at=T0 + timedelta(days=10))),
    ]


def _fold(events: list[ev.DossierEvent]) -> Dossier:
    dossier: Dossier | None = None
    for event in events:
        dossier = fold(dossier, event, CAL)
    assert dossier is not None
    return dossier


def test_a_request_with_only_respond_within_gets_its_respond_by_in_working_time() -> None:
    asked = _event(
        ev.DossierSupplementRequested,
        T0 + timedelta(hours=1),
        ev.SupplementRequestedData(reason="Thiếu", respond_within=ev.WorkingDays(value=Decimal(2))),
    )
    dossier = _fold([*_base(), asked])
    assert dossier.supplement_request_id == str(asked.event_id)
    assert dossier.supplement_respond_by == datetime(2025, 9, 5, 11, 0, tzinfo=PROVINCE_TZ)  # Friday
    received = _event(
        ev.DossierSupplementReceived, T0 + timedelta(hours=2), ev.SupplementReceivedData(due_at=T0 + timedelta(days=11))
    )
    after = _fold([*_base(), asked, received])
    assert after.supplement_respond_by is None and after.supplement_request_id is None


def test_the_uncollected_counter_rises_on_the_announcement_and_falls_on_the_return() -> None:
    ready_at = T0 + timedelta(days=1)
    events = [
        *_base(),
        _event(ev.DossierResultReady, ready_at, ev.ResultReadyData()),
        _event(
            ev.DossierResultUncollected,
            T0 + timedelta(days=8),
            ev.ResultUncollectedData(ready_at=ready_at, after_working_days=Decimal(5)),
        ),
    ]
    facts = [fact_of(e) for e in events]
    assert dict(uncollected_changes(derive(facts))) == {("2025-09-11", "S"): 1}
    returned = _event(ev.DossierReturned, T0 + timedelta(days=9), ev.ReturnedData(delivery=ev.Delivery.DIRECT))
    assert dict(uncollected_changes(derive([*facts, fact_of(returned)]))) == {
        ("2025-09-11", "S"): 1,
        ("2025-09-12", "S"): -1,
    }
    # Returned before the announcement reached anyone (a late replay): never uncollected.
    early = _event(ev.DossierReturned, T0 + timedelta(days=2), ev.ReturnedData(delivery=ev.Delivery.DIRECT))
    assert not uncollected_changes(derive([*facts, fact_of(early)]))
