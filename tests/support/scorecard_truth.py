"""A brute-force recount of the Decision 766 scorecard from dossier histories (no tests here).

Nothing of reporting-service is imported. The counts the summary and the online indicators already
have are taken from the brute-force oracle of the reports (test_reporting_oracle.Oracle, passed in);
digitisation and the resolution time are counted here from the histories, event by event. The weights
are written out again from docs/reporting.md, so that a weight changed in the service alone fails.
"""

from datetime import date
from typing import Any

# docs/reporting.md, "Decision 766 scorecard": each indicator's maximum; None: not assessable from our events.
WEIGHTS: dict[str, tuple[int, bool]] = {
    "procedures_published_on_time": (4, False),
    "dossiers_published_on_portal": (14, False),
    "resolved_in_time": (20, True),
    "open_overdue": (0, True),
    "average_resolution_days": (0, True),
    "online_dossiers": (6, True),
    "services_with_online_dossiers": (6, True),
    "paid_online": (10, True),
    "digitised_dossiers": (8, True),
    "electronic_results": (8, True),
    "digitised_data_reused": (6, False),
    "feedback_on_time": (6, False),
    "feedback_satisfaction": (6, False),
    "service_satisfaction": (6, True),
}
DAY_US = 86_400 * 10**6


def hundredths(count: int, base: int) -> int:
    """count / base x 100, in hundredths of a percent, rounded half up (integers only)."""
    return (count * 10000 * 2 + base) // (2 * base)


def _microseconds(delta: Any) -> int:
    return (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds


def counts(
    oracle: Any, start: date, end: date, agency_code: str | None, level: str | None
) -> dict[str, tuple[int, int]]:
    """Per indicator: (numerator, base) -- for the average time (summed microseconds, dossiers)."""
    total: dict[str, int] = {}
    for tally in oracle.tallies(start, end, agency_code, level).values():
        for name, n in tally.items():
            total[name] = total.get(name, 0) + n
    t = lambda name: total.get(name, 0)  # noqa: E731
    in_time = t("resolved.early") + t("resolved.on_time")
    online = oracle.online(start, end, agency_code, level)
    scope = oracle.covered(agency_code)
    digitised = [0, 0]
    electronic = [0, 0]
    elapsed = [0, 0]
    for d in oracle.dossiers:
        if start <= d.received <= end and oracle.counts(d.received_by, d.procedure, scope, level):
            flags = [doc.digitised for doc in d.history[0].data.documents or [] if doc.digitised is not None]
            if flags:
                digitised[1] += 1
                digitised[0] += all(flags)
        if (
            d.outcome == "resolved"
            and d.closed is not None
            and start <= d.closed <= end
            and oracle.counts(d.closed_by, d.procedure, scope, level)
        ):
            result = next(e for e in d.history if e.event_type == "dossier.result_ready")
            if result.data.electronic_result is not None:
                electronic[1] += 1
                electronic[0] += result.data.electronic_result
            accepted = next((e for e in d.history if e.event_type == "dossier.accepted"), d.history[0])
            finished = result.data.finished_at or result.occurred_at
            elapsed[0] += max(0, _microseconds(finished - accepted.occurred_at))
            elapsed[1] += 1
    share = lambda figure: (figure["count"], figure["of"])  # noqa: E731
    return {
        "resolved_in_time": (in_time, in_time + t("resolved.late")),
        "open_overdue": (
            t("in_progress.overdue"),
            sum(t(f"in_progress.{s}") for s in ("within_deadline", "overdue", "paused")),
        ),
        "average_resolution_days": (elapsed[0], elapsed[1]),
        "online_dossiers": share(online["online_dossiers"]),
        "services_with_online_dossiers": share(online["services_with_online_dossiers"]),
        "paid_online": share(online["online_payments"]),
        "digitised_dossiers": (digitised[0], digitised[1]),
        "electronic_results": (electronic[0], electronic[1]),
        "service_satisfaction": (
            t("rated.very_satisfied") + t("rated.satisfied"),
            sum(t(f"rated.{r}") for r in ("very_satisfied", "satisfied", "unsatisfied")),
        ),
    }


def scorecard_truth(
    oracle: Any, start: date, end: date, agency_code: str | None = None, level: str | None = None
) -> dict[str, Any]:
    """{"indicators": {code: {value, points, max_points, assessed}}, "total_points", "max_points"}."""
    found = counts(oracle, start, end, agency_code, level)
    indicators: dict[str, dict[str, Any]] = {}
    total, maximum = 0, 0  # in hundredths of a point
    for code, (max_points, assessable) in WEIGHTS.items():
        row = {"value": None, "points": 0.0, "max_points": max_points, "assessed": False}
        if assessable and found[code][1] > 0:
            n, base = found[code]
            if code == "average_resolution_days":
                value, earned = (n * 100 * 2 + base * DAY_US) // (2 * base * DAY_US), 0
            else:
                value = hundredths(n, base)
                earned = (max_points * value + 50) // 100
            row = {"value": value / 100, "points": earned / 100, "max_points": max_points, "assessed": True}
            total += earned
            maximum += max_points
        indicators[code] = row
    return {"indicators": indicators, "total_points": total / 100, "max_points": maximum}
