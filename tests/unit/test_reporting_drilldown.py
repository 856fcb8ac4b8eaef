"""The drill-down's rule, on one dossier: it is behind a figure exactly when its own counter
contributions put it there, under the agency the table counts it under -- including an agency
dissolved by the period's end, whose dossiers are its successor's (as the resolution table counts)."""

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

from motcua_reporting.domain.catalogue import Agency, Catalogue, Procedure, Scope, Succession
from motcua_reporting.domain.contributions import CounterKey, counts
from motcua_reporting.domain.dossier import derive, fact_of
from motcua_reporting.domain.resolution import grouper, tally_groups
from motcua_reporting.domain.succession import rows_at_period_end
from motcua_reporting.service_layer.drilldown import FIGURES, behind
from motcua_shared import events as ev

VN = timezone(timedelta(hours=7))


def at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 9, tzinfo=VN)


def dossier_doc() -> dict[str, Any]:
    """Received by the district in June 2025 (due 20 June), resolved late on 8 August."""

    def make(cls: type[ev.DossierEvent], when: datetime, data: Any) -> ev.DossierEvent:
        return cls(event_id=uuid4(), occurred_at=when, source="t", dossier_id="d-1", data=data)

    events = [
        make(
            ev.DossierSubmitted,
            at(6, 10),
            ev.SubmittedData(
                dossier_code="HUYEN-250610-0001",
                procedure_code="1.003003",
                agency_code="HUYEN",
                channel=ev.Channel.DIRECT,
                applicant=ev.Applicant(full_name="Nguyễn Văn An"),
            ),
        ),
        make(ev.DossierAccepted, at(6, 10), ev.AcceptedData(due_at=at(6, 20))),
        make(ev.DossierResultReady, at(8, 8), ev.ResultReadyData()),
    ]
    view = derive([fact_of(e) for e in events])
    return {
        "_id": "d-1",
        "dossier_code": view.code,
        "procedure_code": view.procedure,
        "contributions": [{"k": k.id, "n": n} for k, n in counts(view).items() if n],
    }


CATALOGUE = Catalogue(
    agencies={"HUYEN": Agency("HUYEN", "UBND huyện", "district"), "XA": Agency("XA", "UBND xã", "commune")},
    procedures={
        "1.003003": Procedure(
            "1.003003", "Cấp giấy phép xây dựng", "HUYEN", "district", 3, field_code="XD", field_name="Xây dựng"
        )
    },
    successions={"HUYEN": Succession("XA", "2025-07-01")},
)


def test_a_dossier_of_a_dissolved_agency_is_behind_its_successors_figures() -> None:
    doc = dossier_doc()
    q2, q3 = (date(2025, 4, 1), date(2025, 6, 30)), (date(2025, 7, 1), date(2025, 9, 30))

    def where(figure: str, period: tuple[date, date], **scope: Any) -> str | None:
        return behind(doc, FIGURES[figure], *period, Scope(**scope), CATALOGUE, CATALOGUE.as_of(period[1]), None, None)

    # Q2 ends before the dissolution: the district's, at district level.
    assert where("received.direct", q2) == "HUYEN"
    assert where("in_progress_overdue", q2, admin_level="district") == "HUYEN"
    assert where("resolved", q2) is None
    # Q3: carried over and resolved late, under the commune that took over, at commune level.
    assert where("carried_over", q3) == "XA"
    assert where("resolved_late", q3, admin_level="commune") == "XA"
    assert where("resolved_late", q3, admin_level="district") is None
    assert where("resolved_early", q3) is None
    assert where("received", q3) is None
    assert behind(doc, FIGURES["resolved"], *q3, Scope(), CATALOGUE, CATALOGUE.as_of(q3[1]), "XD", "XA") == "XA"
    assert behind(doc, FIGURES["resolved"], *q3, Scope(), CATALOGUE, CATALOGUE.as_of(q3[1]), "other", None) is None

    # The table counts it in the same cell.
    rows = [
        (CounterKey.from_id(c["k"]), c["n"])
        for c in doc["contributions"]
        if not c["k"].startswith('["open"') and "2025-07-01" <= CounterKey.from_id(c["k"]).date <= "2025-09-30"
    ]
    at_end = CATALOGUE.as_of(q3[1])
    cells = tally_groups(
        rows_at_period_end(rows, CATALOGUE, q3[1]), Counter(), Counter(), Scope(), at_end, grouper("agency", at_end)
    )
    assert cells == {("commune", "XA"): Counter({"resolved.late": 1, "late_without_apology": 1})}
