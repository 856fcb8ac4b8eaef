"""The history generator (motcua_stack.histories): deterministic, legal, and as varied as it says."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.lifecycle import next_status
from motcua_stack.histories import catalogue_events, catalogue_key, generate_histories, read_catalogue

START, END = date(2025, 1, 1), date(2025, 7, 1)
CALENDAR = load_calendar()


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return read_catalogue()


@pytest.fixture(scope="module")
def histories(catalogue: dict) -> list[list[ev.DossierEvent]]:
    return generate_histories(11, 600, START, END, catalogue, calendar=CALENDAR)


def test_same_seed_same_histories_other_seed_other_histories(catalogue: dict) -> None:
    def dump(seed: int) -> list[list[bytes]]:
        return [[e.to_bytes() for e in h] for h in generate_histories(seed, 50, START, END, catalogue)]

    assert dump(3) == dump(3)
    assert dump(3) != dump(4)


def test_every_history_is_legal_per_the_lifecycle(histories: list[list[ev.DossierEvent]]) -> None:
    for history in histories:
        status = None
        for event in history:
            status = next_status(status, event.event_type)  # raises IllegalTransition
        assert [e.event_type for e in history].count("dossier.rated") <= 1
        times = [e.occurred_at for e in history]
        assert times == sorted(times)
        assert len({e.dossier_id for e in history}) == 1
        assert all(e.occurred_at < datetime(2025, 7, 1, tzinfo=PROVINCE_TZ) for e in history)
        assert history[0].occurred_at >= datetime(2025, 1, 1, tzinfo=PROVINCE_TZ)


def test_events_are_contract_events_with_unique_ids(histories: list[list[ev.DossierEvent]]) -> None:
    ids = [e.event_id for h in histories for e in h]
    assert len(ids) == len(set(ids))
    for event in histories[0] + histories[1]:
        assert ev.parse_event(event.to_bytes()) == event


def test_online_only_for_level_3_and_4_and_counter_dossiers_accepted_at_once(
    histories: list[list[ev.DossierEvent]],
    catalogue: dict,
) -> None:
    levels = {p["procedure_code"]: p["online_level"] for p in catalogue["procedures"]}
    for history in histories:
        submitted = history[0].data
        assert isinstance(submitted, ev.SubmittedData)
        if submitted.channel is ev.Channel.ONLINE:
            assert levels[submitted.procedure_code] >= 3
        elif len(history) > 1:
            assert history[1].event_type == "dossier.accepted"
            assert history[1].occurred_at - history[0].occurred_at < timedelta(minutes=10)


def test_due_times_follow_the_working_calendar(histories: list[list[ev.DossierEvent]], catalogue: dict) -> None:
    times = {
        p["procedure_code"]: ev.ProcessingTime.model_validate(p["processing_time"]) for p in catalogue["procedures"]
    }
    for history in histories[:200]:
        due, paused_at = None, None
        for event in history:
            data = event.data
            if isinstance(data, ev.AcceptedData):
                due = CALENDAR.due_at(event.occurred_at, times[history[0].data.procedure_code])  # type: ignore[union-attr]
                assert data.due_at == due
            elif event.event_type in ("dossier.supplement_requested", "dossier.payment_requested", "dossier.suspended"):
                paused_at = event.occurred_at
            elif isinstance(data, ev.SupplementReceivedData | ev.ResumedData | ev.PaymentCompletedData):
                assert due is not None and paused_at is not None
                due = CALENDAR.moved_due_at(due, paused_at, event.occurred_at)
                # payment_completed carries no due time: every reader moves it by the pause itself.
                assert getattr(data, "due_at", due) == due


def test_histories_hold_everything_the_reports_must_get_right(histories: list[list[ev.DossierEvent]]) -> None:
    types = Counter(e.event_type for h in histories for e in h)
    for kind in (
        "submitted",
        "accepted",
        "refused",
        "transferred",
        "supplement_requested",
        "supplement_received",
        "payment_requested",
        "payment_completed",
        "suspended",
        "resumed",
        "apology_issued",
        "overdue",
        "result_ready",
        "returned",
        "withdrawn",
        "rated",
    ):
        assert types[f"dossier.{kind}"] > 0, kind
    channels = Counter(h[0].data.channel.value for h in histories)  # type: ignore[union-attr]
    assert set(channels) == {"direct", "online", "postal"}
    results = [e for h in histories for e in h if isinstance(e.data, ev.ResultReadyData)]
    backdated = [e for e in results if e.data.finished_at and e.occurred_at - e.data.finished_at > timedelta(days=14)]
    assert backdated, "some results of an earlier period entered weeks later"
    assert any(e.occurred_at.utcoffset() == timedelta(0) for h in histories for e in h)
    assert any(e.occurred_at.utcoffset() == timedelta(hours=7) for h in histories for e in h)
    open_at_end = [
        h
        for h in histories
        if h[-1].event_type not in ("dossier.returned", "dossier.rated", "dossier.refused", "dossier.withdrawn")
    ]
    assert open_at_end


def test_catalogue_events_register_parents_first(catalogue: dict) -> None:
    events = catalogue_events(catalogue, occurred_at=datetime(2024, 12, 1, tzinfo=UTC))
    agencies = [e for e in events if isinstance(e, ev.AgencyRegistered)]
    procedures = [e for e in events if isinstance(e, ev.ProcedurePublished)]
    assert len(agencies) == len(catalogue["agencies"]) and len(procedures) == len(catalogue["procedures"])
    seen: set[str] = set()
    for agency in agencies:
        assert agency.data.parent_code is None or agency.data.parent_code in seen
        seen.add(agency.data.agency_code)
    assert events.index(agencies[-1]) < events.index(procedures[0])
    assert catalogue_key(procedures[0]) == procedures[0].data.procedure_code
    assert catalogue_key(agencies[0]) == agencies[0].data.agency_code
