"""The Decision 766 scoring (reporting's domain/scorecard.py): points from rates, what is not
assessed, and the totals over the assessed indicators only."""

from motcua_reporting.domain.scorecard import GROUPS, MICROSECONDS_PER_DAY, ScorecardCounts, Share, scorecard


def counts(**changes: object) -> ScorecardCounts:
    values: dict[str, object] = {
        "resolved_in_time": Share(97, 100),
        "open_overdue": Share(3, 40),
        "resolution_microseconds": 45 * MICROSECONDS_PER_DAY // 2,
        "resolved": 10,
        "online_dossiers": Share(1, 3),
        "services_with_online_dossiers": Share(4, 5),
        "paid_online": Share(7, 8),
        "digitised": Share(9, 10),
        "electronic_results": Share(1, 2),
        "satisfied": Share(199, 200),
    }
    values.update(changes)
    return ScorecardCounts(**values)  # type: ignore[arg-type]


def rows(card: dict) -> dict[str, dict]:
    return {i["code"]: i for g in card["groups"] for i in g["indicators"]}


def test_the_weights_make_the_decisions_100_points_in_its_groups() -> None:
    assert [(g.code, sum(i.max_points for i in g.indicators)) for g in GROUPS] == [
        ("publicity", 18),
        ("progress", 20),
        ("online_services", 12),
        ("online_payment", 10),
        ("digitisation", 22),
        ("satisfaction", 18),
    ]


def test_points_are_the_rate_of_the_maximum_rounded_half_up() -> None:
    found = rows(scorecard(counts()))
    assert (found["resolved_in_time"]["value"], found["resolved_in_time"]["points"]) == (97.0, 19.4)
    # 1/3 = 33.33 % of 6 points = 1.9998 -> 2.00
    assert (found["online_dossiers"]["value"], found["online_dossiers"]["points"]) == (33.33, 2.0)
    assert (found["paid_online"]["value"], found["paid_online"]["points"]) == (87.5, 8.75)
    # 99.5 % of 6 = 5.97
    assert found["service_satisfaction"]["points"] == 5.97
    assert found["resolved_in_time"]["unit"] == "%" and found["resolved_in_time"]["assessed"] is True


def test_indicators_without_points_are_shown_but_add_nothing() -> None:
    found = rows(scorecard(counts()))
    assert found["open_overdue"] | {"note_vi": "", "note_en": ""} == {
        **found["open_overdue"],
        "value": 7.5,
        "points": 0.0,
        "max_points": 0,
        "assessed": True,
        "note_vi": "",
        "note_en": "",
    }
    assert (found["average_resolution_days"]["value"], found["average_resolution_days"]["unit"]) == (2.25, "days")


def test_what_our_events_cannot_tell_is_not_assessed_and_in_no_total() -> None:
    card = scorecard(counts())
    found = rows(card)
    for code in (
        "procedures_published_on_time",
        "dossiers_published_on_portal",
        "digitised_data_reused",
        "feedback_on_time",
        "feedback_satisfaction",
    ):
        assert (found[code]["assessed"], found[code]["value"], found[code]["points"]) == (False, None, 0.0), code
        assert found[code]["note_en"].startswith("Not in our events")
    publicity = card["groups"][0]
    assert (publicity["points"], publicity["max_points"]) == (0.0, 0)
    assert card["max_points"] == 20 + 12 + 10 + 16 + 6
    assert card["total_points"] == round(sum(i["points"] for i in found.values()), 2)


def test_an_empty_base_is_not_assessed_rather_than_zero() -> None:
    card = scorecard(counts(paid_online=Share(0, 0), digitised=Share(0, 0), resolved=0, resolution_microseconds=0))
    found = rows(card)
    assert found["paid_online"]["assessed"] is False and found["paid_online"]["value"] is None
    assert found["digitised_dossiers"]["assessed"] is False
    assert found["average_resolution_days"]["assessed"] is False
    assert card["max_points"] == 20 + 12 + 8 + 6
    zero = rows(scorecard(counts(paid_online=Share(0, 5))))["paid_online"]
    assert (zero["assessed"], zero["value"], zero["points"]) == (True, 0.0, 0.0)
