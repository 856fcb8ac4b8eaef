"""Intake's use cases on in-memory fakes (tests/unit/fakes.py): what an applicant or officer would
notice (the events published, the receipt, the refusal), in milliseconds."""

from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from fakes import Catalogue, Caught, IntakeDossiers, IntakePublisher, Requests
from motcua_intake.adapters.failed_attempts import FailedAttempts
from motcua_intake.domain.phones import phone_hash
from motcua_intake.domain.view import DossierView
from motcua_intake.service_layer.applicant_actions import withdraw
from motcua_intake.service_layer.idempotent import receive_once
from motcua_intake.service_layer.submission import submit
from motcua_intake.service_layer.unit import Decision, Intake
from motcua_shared import events as ev
from motcua_shared.api.errors import refusal_status
from motcua_shared.auth import Principal, Role
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.catalogue import Agency, Procedure
from motcua_shared.refusals import Refused
from motcua_shared.topics import Topics

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=PROVINCE_TZ)  # a Monday morning
KEY = b"phone-key"
OFFICER = Principal(subject="can-bo-1", role=Role.OFFICER, agency_code="STNMT")
APPLICANT = ev.Applicant(full_name="Nguyễn Văn An", id_number="001085012345", phone="0912345678")
WATER = Procedure(
    code="1.004227",
    name="Cấp giấy phép khai thác nước dưới đất",
    agency_code="STNMT",
    admin_level=ev.AdminLevel.PROVINCIAL,
    online_level=2,
    processing_time=ev.ProcessingTime(value=Decimal(15), unit=ev.TimeUnit.WORKING_DAYS),
)


def intake(dossiers: IntakeDossiers | None = None) -> tuple[Intake, IntakePublisher]:
    publisher = IntakePublisher()
    return Intake(
        source="intake-service",
        topics=Topics("unit."),
        catalogue=Catalogue(
            [Agency(code="STNMT", name="Sở Tài nguyên và Môi trường", admin_level=ev.AdminLevel.PROVINCIAL)], [WATER]
        ),
        dossiers=dossiers or IntakeDossiers(),
        idempotency=Requests(),
        publisher=publisher,
        calendar=load_calendar(),
        phone_hash_key=KEY,
        retry_after_seconds=1,
        tracking_attempts=FailedAttempts(per_code=5, per_client=20, window_seconds=60),
        public_base_url="https://motcua.example.vn",
        freshness=Caught(),
        view_wait_seconds=0,
        now=lambda: NOW,
    ), publisher


async def test_a_counter_submission_is_accepted_with_its_appointment_once_per_key() -> None:
    dossiers = IntakeDossiers()
    service, publisher = intake(dossiers)

    def decide(unit: Intake = service) -> Awaitable[Decision]:
        return submit(
            unit,
            OFFICER,
            procedure_code=WATER.code,
            agency_code="STNMT",
            channel=ev.Channel.DIRECT,
            applicant=APPLICANT,
            documents=None,
        )

    receipt = await receive_once(service, OFFICER, "key-1", "fingerprint", decide)

    submitted, accepted = publisher.events
    assert isinstance(submitted, ev.DossierSubmitted) and isinstance(accepted, ev.DossierAccepted)
    assert submitted.data.dossier_code == receipt["dossier_code"] == "STNMT-250303-0001"
    assert receipt["status"] == "accepted"
    assert receipt["appointment_at"] == accepted.data.due_at.isoformat()
    assert NOW + timedelta(days=15) < accepted.data.due_at < NOW + timedelta(days=30)  # 15 working days
    # The request's one write was its key's record: the view is intake's consumer's to write.
    assert dossiers.folded == []
    await dossiers.fold_batch([(event, None) for event in publisher.events])
    # The same request again (a retry after a lost answer): the same receipt, nothing published again,
    # even once the procedure has been retired since.
    assert await receive_once(service, OFFICER, "key-1", "fingerprint", decide) == receipt
    retired = replace(service, catalogue=Catalogue([], [replace(WATER, retired=True)]))
    assert await receive_once(retired, OFFICER, "key-1", "fingerprint", lambda: decide(retired)) == receipt
    assert len(publisher.published) == 1
    # A new request for the retired procedure is refused, with nothing published.
    with pytest.raises(Refused) as refused:
        await receive_once(retired, OFFICER, "key-2", "fingerprint-2", lambda: decide(retired))
    assert refused.value.code == "procedure_retired" and len(publisher.published) == 1


async def test_an_online_dossier_for_a_level_2_procedure_is_refused_and_nothing_is_published() -> None:
    service, publisher = intake()
    applicant = Principal(subject="cong-dan-1", role=Role.APPLICANT)
    with pytest.raises(Refused) as refused:
        await submit(
            service,
            applicant,
            procedure_code=WATER.code,
            agency_code="STNMT",
            channel=ev.Channel.ONLINE,
            applicant=APPLICANT,
            documents=None,
        )
    assert (refusal_status(refused.value), refused.value.code) == (422, "online_submission_not_allowed")
    assert publisher.published == []


async def test_a_returned_dossier_can_no_longer_be_withdrawn() -> None:
    returned = DossierView(
        dossier_id="d-1",
        code="STNMT-250303-0001",
        status="returned",
        due_at=None,
        phone_hash=phone_hash("0912345678", KEY),
        agency_code="STNMT",
        rating=None,
        paused_at=None,
        payment_requested_amount=None,
        last_event_at=NOW,
    )
    service, _ = intake(IntakeDossiers([returned]))
    with pytest.raises(Refused) as refused:
        await withdraw(service, code=returned.code, phone="0912 345 678", reason=None)
    assert (refusal_status(refused.value), refused.value.code) == (409, "dossier_closed")
    assert "returned" in refused.value.message
