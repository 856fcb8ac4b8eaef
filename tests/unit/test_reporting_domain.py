"""Reporting's pure rules: calendar-date timeliness in Asia/Ho_Chi_Minh, percentages, the
order-insensitive dossier fold and its counter contributions, the figures and the narrative."""

import itertools
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from motcua_reporting.domain.contributions import CounterKey, contributions
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_reporting.domain.figures import summary_columns
from motcua_reporting.domain.narrative import narrative
from motcua_reporting.domain.timeliness import Timeliness, classify, local_date, on_time_rate, percent
from motcua_shared import events as ev

VN = timezone(timedelta(hours=7))


def vn(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=VN)


# --- timeliness and percentages --------------------------------------------------------------------


def test_timeliness_compares_calendar_dates_in_the_province() -> None:
    due = vn(1, 22, 17)
    assert classify(vn(1, 21, 16), due) is Timeliness.EARLY
    assert classify(vn(1, 22, 23, 30), due) is Timeliness.ON_TIME  # later than 17:00, same date
    # 06:30 on the 23rd in Vietnam is still the 22nd in UTC: late all the same.
    assert classify(datetime(2020, 1, 22, 23, 30, tzinfo=UTC), due) is Timeliness.LATE
    assert local_date(datetime(2020, 1, 22, 23, 30, tzinfo=UTC)) == date(2020, 1, 23)


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (1, 3, 33.33),
        (2, 3, 66.67),
        (5, 9, 55.56),
        (1, 8, 12.5),
        (0, 0, 0.0),
        (7, 7, 100.0),
        (1, 800, 0.13),  # 0.125 rounds half up (binary floats would give 0.12)
        (3020, 4210, 71.73),
        (27, 3870, 0.70),
        (11, 1530, 0.72),
    ],
)
def test_percentages_have_two_decimals_rounded_half_up(count: int, total: int, expected: float) -> None:
    assert percent(count, total) == expected


def test_on_time_rate_counts_early_and_on_time_over_all_resolved() -> None:
    assert on_time_rate(1512, 2331, 27) == 99.30
    assert on_time_rate(0, 0, 2) == 0.0
    assert on_time_rate(0, 0, 0) is None  # nothing to rate: not 0.0


# --- the fold ----------------------------------------------------------------------------------


def history() -> list[ev.DossierEvent]:
    def make(cls: type[ev.DossierEvent], at: datetime, data: Any) -> ev.DossierEvent:
        return cls(event_id=uuid4(), occurred_at=at, source="t", dossier_id="d-1", data=data)

    return [
        make(
            ev.DossierSubmitted,
            vn(1, 6, 8),
            ev.SubmittedData(
                dossier_code="STNMT-200106-0001",
                procedure_code="1.001",
                agency_code="STNMT",
                channel=ev.Channel.ONLINE,
                applicant=ev.Applicant(
                    full_name="Nguyễn Văn An", id_number="001085012345", phone="0912345678", address="12 Lê Lợi"
                ),
            ),
        ),
        make(ev.DossierAccepted, vn(1, 7, 8), ev.AcceptedData(due_at=vn(1, 20, 17))),
        make(ev.DossierSupplementRequested, vn(1, 8), ev.SupplementRequestedData(reason="Thiếu")),
        make(ev.DossierSupplementReceived, vn(1, 10), ev.SupplementReceivedData(due_at=vn(1, 22, 17))),
        make(ev.DossierTransferred, vn(1, 13), ev.TransferredData(to_agency_code="STP")),
        make(ev.DossierResultReady, vn(1, 23, 8), ev.ResultReadyData(finished_at=vn(1, 22, 23, 30))),
        make(ev.DossierReturned, vn(1, 23, 10), ev.ReturnedData(delivery=ev.Delivery.POSTAL)),
        make(ev.DossierRated, vn(1, 24), ev.RatedData(rating=ev.Rating.SATISFIED)),
        make(ev.DossierRated, vn(1, 25), ev.RatedData(rating=ev.Rating.UNSATISFIED)),  # only the first counts
    ]


def test_no_personal_data_is_kept() -> None:
    facts = str([fact_of(e) for e in history()])
    for personal in ("Nguyễn", "001085012345", "0912345678", "Lê Lợi"):
        assert personal not in facts


def test_the_view_is_the_same_whatever_order_the_events_arrive_in() -> None:
    facts = [fact_of(e) for e in history()]
    expected = contributions(derive(facts))
    assert expected == {
        CounterKey("received", "2020-01-06", "STNMT", "1.001", "online"),
        # the due date moved with the supplement (22nd), the result date is finished_at: on time
        CounterKey("resolved", "2020-01-22", "STP", "1.001", "on_time"),
        CounterKey("returned_by_post", "2020-01-22", "STP", "1.001"),
        CounterKey("rated", "2020-01-24", "STP", "1.001", "satisfied"),
    }
    shuffler = random.Random(1)
    for _ in range(200):
        shuffler.shuffle(facts)
        view = derive(facts)
        assert contributions(view) == expected
        assert (view.status, view.timeliness, view.rating) == ("returned", Timeliness.ON_TIME, "satisfied")


def test_a_late_result_moves_the_dossier_between_counters() -> None:
    facts = [fact_of(e) for e in history()[:4]]
    before = contributions(derive(facts))
    assert {k.kind for k in before} == {"received"}
    view = derive(facts)
    assert view.paused_at("2020-01-09T00:00:00.000000+00:00")
    assert not view.paused_at("2020-01-11T00:00:00.000000+00:00")
    assert view.closed_date == "9999-12-31"
    result = fact_of(history()[5])
    after = contributions(derive([*facts, result]))
    assert after - before == {CounterKey("resolved", "2020-01-22", "STNMT", "1.001", "on_time")}


def test_late_without_apology_needs_a_letter_before_the_deadline() -> None:
    events = history()[:2]
    base = [fact_of(e) for e in events]
    late = {"id": "r", "type": "result_ready", "at": "2020-01-25T03:00:00.000000+00:00"}
    assert derive([*base, late]).late_without_apology
    in_time = {
        "id": "a",
        "type": "apology_issued",
        "at": "2020-01-15T03:00:00.000000+00:00",
        "new_due_at": "2020-01-27T10:00:00.000000+00:00",
    }
    too_late = {**in_time, "id": "b", "at": "2020-01-21T03:00:00.000000+00:00"}
    assert not derive([*base, late, in_time]).late_without_apology
    assert derive([*base, late, too_late]).late_without_apology


def test_every_permutation_of_a_refusal_gives_the_same_outcome() -> None:
    facts = [fact_of(e) for e in history()[:2]] + [
        {"id": "x", "type": "refused", "at": "2020-01-07T02:00:00.000000+00:00"}
    ]
    outcomes = {tuple(sorted(k.id for k in contributions(derive(list(p))))) for p in itertools.permutations(facts)}
    assert len(outcomes) == 1
    assert derive(facts).outcome == "refused"


# --- figures and words ----------------------------------------------------------------------------


def domain_example_tally() -> Counter[str]:
    """The quarter of DOMAIN.md's example, as counts."""
    return Counter(
        {
            "received.direct": 3020,
            "received.online": 1105,
            "received.postal": 85,
            "resolved.early": 1512,
            "resolved.on_time": 2331,
            "resolved.late": 27,
            "returned_by_post": 240,
            "in_progress.within_deadline": 603,
            "in_progress.overdue": 9,
            "rated.very_satisfied": 1388,
            "rated.satisfied": 131,
            "rated.unsatisfied": 11,
        }
    )


def test_the_domain_examples_percentages_come_out_exactly() -> None:
    columns = summary_columns(domain_example_tally())
    assert columns["received"]["by_channel"] == {
        "direct": {"count": 3020, "percent": 71.73},
        "online": {"count": 1105, "percent": 26.25},
        "postal": {"count": 85, "percent": 2.02},
    }
    resolved = columns["resolved"]
    assert (resolved["early"]["percent"], resolved["on_time"]["percent"], resolved["late"]["percent"]) == (
        39.07,
        60.23,
        0.70,
    )
    assert resolved["returned_by_post"] == {"count": 240, "percent": 6.20}  # of resolved.total
    assert columns["satisfaction"]["very_satisfied"]["percent"] == 90.72
    assert columns["in_progress"] == {"total": 612, "within_deadline": 603, "overdue": 9, "paused": 0}


def test_the_narrative_reads_like_the_domain_example_in_both_languages() -> None:
    body = {
        "period": {"from": "2020-01-01", "to": "2020-03-31"},
        **summary_columns(domain_example_tally()),
        "by_agency": [
            {
                "agency_code": "STNMT",
                "agency_name": "the Department of Natural Resources and Environment",
                "received": 1204,
            },
            {"agency_code": "STP", "agency_name": "the Department of Justice", "received": 880},
            {"agency_code": "SCT", "agency_name": "the Department of Industry and Trade", "received": 415},
        ],
    }
    english = narrative(body, "en")
    for sentence in [
        "In the first quarter of 2020, the centre received 4,210 dossiers: 3,020 directly (71.73%), "
        "1,105 online (26.25%) and 85 by post (2.02%).",
        "Results of 3,870 dossiers were returned: 1,512 before the deadline (39.07%), 2,331 on time (60.23%) "
        "and 27 late (0.70%); 240 were returned by post (6.20%).",
        "612 are being handled, of which 9 are overdue.",
        "The busiest agencies were the Department of Natural Resources and Environment (1,204 dossiers), "
        "the Department of Justice (880) and the Department of Industry and Trade (415).",
        "1,530 applicants rated the service: 1,388 very satisfied (90.72%), 131 satisfied (8.56%) and "
        "11 unsatisfied (0.72%).",
    ]:
        assert sentence in english
    vietnamese = narrative(body, "vi")
    # Vietnamese writes a point between thousands and a decimal comma.
    assert vietnamese.startswith("Trong quý I năm 2020, Trung tâm đã tiếp nhận 4.210 hồ sơ: 3.020 trực tiếp (71,73%)")
    assert "27 quá hạn (0,70%)" in vietnamese and "1.388 rất hài lòng (90,72%)" in vietnamese
    other = narrative({**body, "period": {"from": "2020-01-05", "to": "2020-02-09"}}, "en")
    assert other.startswith("From 5 January 2020 to 9 February 2020, ")


def test_awaiting_payment_moves_the_due_time_by_the_working_time_paused() -> None:
    # payment_completed carries no due time (CONTRACT.md): the pause moves it on the working calendar.
    base = [fact_of(e) for e in history()[:2]]  # accepted on 7 January, due 20 January 17:00
    paid = [
        {"id": "p1", "type": "payment_requested", "at": "2020-01-09T02:00:00.000000+00:00", "amount": 1.0},
        {
            "id": "p2",
            "type": "payment_completed",
            "at": "2020-01-13T06:00:00.000000+00:00",
            "amount": 1.0,
            "method": "online",
        },
    ]
    # Paused from Thursday 09:00 to Monday 13:00 (+07:00): 2.5 + 4 (Thu) + 8 (Fri) + 4 (Mon) = 18.5 working hours.
    view = derive([*base, *paid])
    # 21 and 22 January take 16 of them; 23-29 January 2020 is Tết; the last 2.5 hours are on the 30th.
    assert view.due_at == "2020-01-30T03:00:00.000000+00:00"  # 30 January 10:00 (+07:00)
    assert view.paid_online
    result = {"id": "r", "type": "result_ready", "at": "2020-01-22T03:00:00.000000+00:00"}
    assert derive([*base, *paid, result]).timeliness is Timeliness.EARLY
    assert derive([*base, result]).timeliness is Timeliness.LATE  # without the pause it would be late
    # A payment in the evening pauses no working time.
    evening = [
        {**paid[0], "at": "2020-01-09T11:00:00.000000+00:00"},
        {**paid[1], "at": "2020-01-09T12:00:00.000000+00:00"},
    ]
    assert derive([*base, *evening]).due_at == base[1]["due_at"]
