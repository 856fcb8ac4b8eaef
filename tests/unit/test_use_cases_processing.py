"""Processing's use cases on in-memory fakes (tests/unit/fakes.py): an officer's action and the
overdue clock, judged by what an officer would notice (the event published, the status, the refusal)."""

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from fakes import Catalogue, Caught, Claims, ProcessingDossiers, ProcessingPublisher
from motcua_processing.service_layer.clock import OVERDUE, Clock, announcement_id
from motcua_processing.service_layer.officer_actions import IllegalAction, accept, perform
from motcua_processing.service_layer.unit import Processing
from motcua_shared import events as ev
from motcua_shared.api.errors import refusal_status
from motcua_shared.auth import Principal, Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.catalogue import Procedure
from motcua_shared.lifecycle import DossierStatus
from motcua_shared.publishing import BrokerUnavailable
from motcua_shared.refusals import Refused
from motcua_shared.topics import Topics

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=PROVINCE_TZ)  # a Monday morning
CODE = "STNMT-250303-0001"
OFFICER = Principal(subject="can-bo-1", role=Role.OFFICER, agency_code="STNMT")
WATER = Procedure(
    code="1.004227",
    name="Cấp giấy phép khai thác nước dưới đất",
    agency_code="STNMT",
    admin_level=ev.AdminLevel.PROVINCIAL,
    online_level=4,
    processing_time=ev.ProcessingTime(value=Decimal(15), unit=ev.TimeUnit.WORKING_DAYS),
)


def processing() -> tuple[Processing, ProcessingPublisher]:
    publisher = ProcessingPublisher()
    calendar = load_calendar()
    return Processing(
        source="processing-service",
        topics=Topics("unit."),
        dossiers=ProcessingDossiers(calendar),
        catalogue=Catalogue(procedures=[WATER]),
        publisher=publisher,
        calendar=calendar,
        freshness=Caught(),
        view_wait_seconds=0,
        now=lambda: NOW,
    ), publisher


def _event(cls: type[ev.DossierEvent], at: datetime, data: ev.Payload, dossier_id: str = "d-1") -> ev.DossierEvent:
    return cls(event_id=uuid4(), occurred_at=at, source="intake-service", dossier_id=dossier_id, data=data)


async def submitted_online(service: Processing, dossier_id: str = "d-1", code: str = CODE) -> None:
    await service.dossiers.apply(
        _event(
            ev.DossierSubmitted,
            NOW - timedelta(hours=1),
            ev.SubmittedData(
                dossier_code=code,
                procedure_code=WATER.code,
                agency_code="STNMT",
                channel=ev.Channel.ONLINE,
                applicant=ev.Applicant(full_name="Nguyễn Văn An", id_number="001085012345", phone="0912345678"),
            ),
            dossier_id,
        )
    )


async def test_an_officer_accepts_an_online_dossier_and_its_clock_starts() -> None:
    service, publisher = processing()
    await submitted_online(service)

    event, after = await perform(service, OFFICER, CODE, "dossier.accepted", accept(service))

    assert publisher.events == [event]
    assert isinstance(event, ev.DossierAccepted) and event.actor == "can-bo-1"
    assert after.status is DossierStatus.ACCEPTED and after.due_at == event.data.due_at
    assert NOW + timedelta(days=15) < event.data.due_at < NOW + timedelta(days=30)  # 15 working days


async def test_an_action_refused_says_why_and_publishes_nothing() -> None:
    service, publisher = processing()
    await submitted_online(service)
    other_agency = Principal(subject="can-bo-2", role=Role.OFFICER, agency_code="STP")
    with pytest.raises(Refused) as refused:
        await perform(service, other_agency, CODE, "dossier.accepted", accept(service))
    assert (refusal_status(refused.value), refused.value.code) == (403, "forbidden_agency")
    with pytest.raises(Refused) as unknown:
        await perform(service, OFFICER, "STNMT-250303-0999", "dossier.accepted", accept(service))
    assert (refusal_status(unknown.value), unknown.value.code) == (404, "dossier_not_found")

    await perform(service, OFFICER, CODE, "dossier.accepted", accept(service))
    with pytest.raises(IllegalAction) as twice:  # 409 illegal_transition, with the status now
        await perform(service, OFFICER, CODE, "dossier.accepted", accept(service))
    assert twice.value.current is DossierStatus.ACCEPTED
    assert "dossier.result_ready" in twice.value.allowed
    assert len(publisher.events) == 1


async def test_the_clock_announces_an_overdue_dossier_once_at_its_due_time() -> None:
    service, publisher = processing()
    await submitted_online(service)
    due = NOW - timedelta(hours=2)
    await service.dossiers.apply(_event(ev.DossierAccepted, NOW - timedelta(days=20), ev.AcceptedData(due_at=due)))
    await submitted_online(service, "d-2", "STNMT-250303-0002")  # not accepted: no clock running
    clock = Clock(service, Claims(), due_soon_ahead=timedelta(hours=8))

    first = await clock.tick()

    assert [type(e) for e in first] == [ev.DossierOverdue] and publisher.events == first
    overdue = first[0]
    assert isinstance(overdue, ev.DossierOverdue)
    assert overdue.dossier_id == "d-1" and overdue.occurred_at == due and overdue.data.due_at == due
    assert await clock.tick() == []  # once, however often the clock looks
    assert len(publisher.events) == 1


async def test_the_clock_announces_many_dossiers_overdue_at_once_each_once() -> None:
    service, _ = processing()
    due = NOW - timedelta(hours=2)
    ids = [f"d-{n}" for n in range(250)]  # more than one chunk of the sweep
    for n, dossier_id in enumerate(ids):
        await submitted_online(service, dossier_id, f"STNMT-250303-{n:04d}")
        await service.dossiers.apply(
            _event(ev.DossierAccepted, NOW - timedelta(days=20), ev.AcceptedData(due_at=due), dossier_id)
        )
    claims = Claims()
    taken = ev.DossierOverdue(
        event_id=announcement_id("d-7", OVERDUE),
        occurred_at=due,
        source="processing-service",
        dossier_id="d-7",
        data=ev.OverdueData(due_at=due),
    )
    assert await claims.claim(taken, OVERDUE)  # another instance holds d-7's announcement

    class BrokerDownFor:
        def __init__(self, dossier_id: str) -> None:
            self.events: list[ev.DossierEvent] = []
            self._down_for = dossier_id

        async def publish(self, event: ev.DossierEvent) -> None:
            if event.dossier_id == self._down_for:
                raise BrokerUnavailable("down")
            self.events.append(event)

    broker = BrokerDownFor("d-9")
    service.publisher = broker
    clock = Clock(service, claims, due_soon_ahead=timedelta(hours=8))

    first = await clock.tick()

    announced = sorted(e.dossier_id for e in first)
    assert announced == sorted(set(ids) - {"d-7", "d-9"}) and broker.events == first
    for dossier_id in ("d-0", "d-249"):
        dossier = await service.dossiers.get(dossier_id)
        assert dossier is not None and dossier.overdue_at == due  # folded at once
    assert await claims.state(str(announcement_id("d-0", OVERDUE))) == "published"
    # d-9's send failed: its claim stays to be taken over after the lease, not folded as if sent.
    assert await claims.state(str(announcement_id("d-9", OVERDUE))) == "publishing"
    d9 = await service.dossiers.get("d-9")
    assert d9 is not None and d9.overdue_at is None
    assert await clock.tick() == [] and len(broker.events) == 248
