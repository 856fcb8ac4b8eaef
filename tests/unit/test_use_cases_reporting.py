"""Reporting's report on in-memory fakes (tests/unit/fakes.py): the figures a reader of the summary
would see for a month of dossiers, folded by reporting's own domain (views and counter contributions)."""

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from fakes import ReportCatalogue, ReportCounters
from motcua_reporting.domain.catalogue import Agency, Catalogue, Procedure
from motcua_reporting.domain.dossier import DossierView, derive, fact_of
from motcua_reporting.service_layer.reports import Figures
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ

pytestmark = pytest.mark.unit

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=PROVINCE_TZ)
DUE = MONDAY + timedelta(days=10)  # Thursday 13 March


def _event(cls: type[ev.DossierEvent], dossier_id: str, at: datetime, data: ev.Payload) -> ev.DossierEvent:
    return cls(event_id=uuid4(), occurred_at=at, source="intake-service", dossier_id=dossier_id, data=data)


def dossier(dossier_id: str, *, result_after: timedelta | None) -> DossierView:
    """A counter dossier received on MONDAY, due on DUE, with its result `result_after` (None: still open)."""
    events = [
        _event(
            ev.DossierSubmitted,
            dossier_id,
            MONDAY,
            ev.SubmittedData(
                dossier_code=f"STNMT-250303-{dossier_id}",
                procedure_code="1.004227",
                agency_code="STNMT",
                channel=ev.Channel.DIRECT,
                applicant=ev.Applicant(full_name="Nguyễn Văn An", id_number="001085012345"),
            ),
        ),
        _event(ev.DossierAccepted, dossier_id, MONDAY, ev.AcceptedData(due_at=DUE)),
    ]
    if result_after is not None:
        done = MONDAY + result_after
        events.append(
            _event(ev.DossierResultReady, dossier_id, done, ev.ResultReadyData(result_number="1/GP", finished_at=done))
        )
    return derive([fact_of(event) for event in events])


def catalogue() -> Catalogue:
    found = Catalogue()
    found.agencies["STNMT"] = Agency("STNMT", "Sở Tài nguyên và Môi trường", "provincial")
    found.procedures["1.004227"] = Procedure("1.004227", "Cấp giấy phép khai thác nước", "STNMT", "provincial", 4)
    return found


async def test_the_month_summary_counts_received_resolved_by_timeliness_and_still_open() -> None:
    views = [
        dossier("0001", result_after=timedelta(days=5)),
        dossier("0002", result_after=timedelta(days=12)),
        dossier("0003", result_after=None),
    ]
    figures = Figures(ReportCatalogue(catalogue()), ReportCounters(views))
    asked = await figures.asked(None, None)

    summary = await figures.summary(date(2025, 3, 1), date(2025, 3, 31), asked)

    assert summary["received"]["total"] == 3 and summary["received"]["by_channel"]["direct"]["count"] == 3
    assert summary["resolved"]["total"] == 2
    assert (summary["resolved"]["early"]["count"], summary["resolved"]["late"]["count"]) == (1, 1)
    assert summary["late_without_apology"] == 1  # the late one had no apology letter
    assert summary["on_time_rate"] == 50.0
    assert summary["in_progress"] == {"total": 1, "within_deadline": 0, "overdue": 1, "paused": 0}
    assert [row["agency_code"] for row in summary["by_agency"]] == ["STNMT"]
    # An agency asked for that has no dossier: nothing counted.
    other = await figures.summary(date(2025, 3, 1), date(2025, 3, 31), await figures.asked("STP", None))
    assert other["received"]["total"] == 0
