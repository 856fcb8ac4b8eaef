"""The two-level local government's rules, without I/O: who is responsible on a day, how a report's
catalogue reads at its period's end, and generated histories that cross 1 July 2025."""

from collections import Counter
from datetime import date

import pytest
from motcua_reporting.domain.catalogue import Agency, Catalogue, Procedure, Succession
from motcua_reporting.domain.contributions import CounterKey
from motcua_reporting.domain.succession import rows_at_period_end, standing_at_period_end
from motcua_shared import events as ev
from motcua_shared.catalogue import Succession as SharedSuccession
from motcua_shared.catalogue import handover_event_id, responsible_agency
from motcua_shared.lifecycle import next_status
from motcua_stack.histories import catalogue_events, generate_histories, read_catalogue, two_level
from pydantic import ValidationError

JULY = date(2025, 7, 1)


def catalogue() -> Catalogue:
    return Catalogue(
        agencies={
            "H": Agency("H", "UBND huyện", "district"),
            "X": Agency("X", "UBND xã", "commune"),
            "S": Agency("S", "Sở", "provincial"),
        },
        procedures={"P": Procedure("P", "Thủ tục", "H", "district", 4)},
        successions={"H": Succession("X", "2025-07-01"), "X": Succession("S", "2026-01-01")},
    )


def test_the_responsible_agency_follows_the_successions_in_force_on_the_day() -> None:
    c = catalogue()
    assert c.responsible("H", date(2025, 6, 30)) == "H"
    assert c.responsible("H", JULY) == "X"
    assert c.responsible("H", date(2026, 1, 1)) == "S"  # the commune merged again later
    assert c.dissolved_by("H", JULY) and not c.dissolved_by("X", JULY)
    shared = {"H": SharedSuccession("H", "X", JULY)}
    assert responsible_agency("H", shared, date(2025, 6, 30)) == "H"
    assert responsible_agency("H", shared, JULY) == "X"


def test_a_cycle_in_bad_data_does_not_hang() -> None:
    c = Catalogue(successions={"A": Succession("B", "2025-07-01"), "B": Succession("A", "2025-07-01")})
    assert c.responsible("A", JULY) in {"A", "B"}


def test_a_report_reads_the_dissolved_agencys_figures_and_procedures_as_its_successors() -> None:
    c = catalogue()
    assert c.as_of(date(2025, 6, 30)).procedures["P"] == c.procedures["P"]
    after = c.as_of(date(2025, 9, 30)).procedures["P"]
    assert (after.agency_code, after.admin_level) == ("X", "commune")
    rows = [
        (CounterKey("received", "2025-06-10", "H", "P", "direct"), 2),
        (CounterKey("received", "2025-08-10", "X", "P", "online"), 1),
    ]
    assert [k.agency for k, _ in rows_at_period_end(rows, c, date(2025, 6, 30))] == ["H", "X"]
    assert [k.agency for k, _ in rows_at_period_end(rows, c, date(2025, 12, 31))] == ["X", "X"]
    standing = Counter({("H", "P", "within_deadline"): 1, ("X", "P", "within_deadline"): 2})
    assert standing_at_period_end(standing, c, date(2025, 12, 31)) == Counter({("X", "P", "within_deadline"): 3})


def test_an_agency_cannot_succeed_itself() -> None:
    with pytest.raises(ValidationError):
        ev.AgencySupersededData(agency_code="H", successor_code="H", effective_date=JULY)


def test_generated_histories_receive_under_the_successor_and_hand_over_once() -> None:
    sample = two_level(read_catalogue())
    dissolved = {s["agency_code"]: s["successor_code"] for s in sample["supersessions"]}
    assert [e.event_type for e in catalogue_events(sample, occurred_at=ev.now())][-2:] == ["agency.superseded"] * 2
    histories = generate_histories(1, 200, date(2025, 3, 1), date(2025, 10, 1), sample)
    handovers = 0
    for history in histories:
        status = None
        for event in history:
            status = next_status(status, event.event_type)  # every step legal
        first = history[0].data
        assert isinstance(first, ev.SubmittedData)
        if history[0].occurred_at.date() >= JULY:
            assert first.agency_code not in dissolved
        moved = [e for e in history if e.event_id == handover_event_id(e.dossier_id, first.agency_code)]
        assert len(moved) <= 1
        if moved:
            handovers += 1
            assert isinstance(moved[0].data, ev.TransferredData)
            assert moved[0].data.to_agency_code == dissolved[first.agency_code]
    assert handovers > 0
    # The same seed without the supersessions gives the same dossiers as before (nothing else drawn).
    plain = generate_histories(1, 200, date(2025, 3, 1), date(2025, 6, 1), read_catalogue())
    crossing = generate_histories(1, 200, date(2025, 3, 1), date(2025, 6, 1), sample)
    assert [[e.event_id for e in h] for h in plain] == [[e.event_id for e in h] for h in crossing]
