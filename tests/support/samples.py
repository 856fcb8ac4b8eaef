"""One realistic example of every event type in the contract, for round-trip tests."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

from motcua_shared import events as ev

VN = timezone(timedelta(hours=7))
T0 = datetime(2020, 1, 6, 8, 15, tzinfo=VN)
DOSSIER_ID = "3b0c9a4e-2f57-4f0f-9d61-8c1c2b7a9e11"


def _dossier(cls: type[ev.DossierEvent], minutes: int, data: object) -> ev.DossierEvent:
    return cls(
        event_id=uuid4(),
        occurred_at=T0 + timedelta(minutes=minutes),
        source="intake-service",
        dossier_id=DOSSIER_ID,
        data=data,
    )


def dossier_events() -> list[ev.DossierEvent]:
    due = datetime(2020, 1, 20, 17, 0, tzinfo=VN)
    return [
        _dossier(
            ev.DossierSubmitted,
            0,
            ev.SubmittedData(
                dossier_code="STNMT-200106-0001",
                procedure_code="1.004227",
                agency_code="STNMT",
                channel=ev.Channel.ONLINE,
                applicant=ev.Applicant(
                    full_name="Nguyễn Văn An",
                    id_number="001085012345",
                    phone="0912345678",
                    email="an.nguyen@example.vn",
                    address="12 Lê Lợi, Huế",
                    preferred_language="vi",
                ),
                documents=[ev.Document(name="Đơn đề nghị.pdf", sha256="a" * 64, size=120_331)],
            ),
        ),
        _dossier(ev.DossierAccepted, 5, ev.AcceptedData(due_at=due)),
        _dossier(ev.DossierRefused, 6, ev.RefusedData(reason="Không thuộc thẩm quyền")),
        _dossier(
            ev.DossierSupplementRequested,
            7,
            ev.SupplementRequestedData(reason="Thiếu bản sao CCCD", items=["Bản sao CCCD có chứng thực"]),
        ),
        _dossier(ev.DossierSupplementReceived, 8, ev.SupplementReceivedData(due_at=due + timedelta(days=1))),
        _dossier(ev.DossierPaymentRequested, 9, ev.PaymentRequestedData(amount=Decimal("150000"))),
        _dossier(
            ev.DossierPaymentCompleted,
            10,
            ev.PaymentCompletedData(amount=Decimal("150000"), method=ev.PaymentMethod.ONLINE),
        ),
        _dossier(ev.DossierSuspended, 11, ev.SuspendedData(reason="Chờ ý kiến liên ngành")),
        _dossier(ev.DossierResumed, 12, ev.ResumedData(due_at=due + timedelta(days=2))),
        _dossier(ev.DossierTransferred, 13, ev.TransferredData(to_agency_code="STP", reason="Chuyển xử lý")),
        _dossier(
            ev.DossierApologyIssued,
            14,
            ev.ApologyIssuedData(
                reason="Cần xác minh thực địa", new_due_at=due + timedelta(days=5), letter_id="XL-2020-001"
            ),
        ),
        _dossier(
            ev.DossierResultReady,
            15,
            ev.ResultReadyData(result_number="123/GCN", finished_at=datetime(2020, 1, 17, 10, 0, tzinfo=VN)),
        ),
        _dossier(ev.DossierReturned, 16, ev.ReturnedData(delivery=ev.Delivery.POSTAL)),
        _dossier(ev.DossierWithdrawn, 17, ev.WithdrawnData(reason="Không còn nhu cầu")),
        _dossier(ev.DossierOverdue, 18, ev.OverdueData(due_at=due)),
        _dossier(ev.DossierRated, 19, ev.RatedData(rating=ev.Rating.VERY_SATISFIED, comment="Nhanh, gọn")),
        # issue 18's additions
        _dossier(
            ev.DossierSupplementDueSoon,
            20,
            ev.SupplementDueSoonData(respond_by=due, remaining_working_hours=Decimal("16")),
        ),
        _dossier(ev.DossierSupplementExpired, 21, ev.SupplementExpiredData(respond_by=due)),
        _dossier(
            ev.DossierResultUncollected,
            22,
            ev.ResultUncollectedData(ready_at=datetime(2020, 1, 17, 10, 0, tzinfo=VN), after_working_days=Decimal(5)),
        ),
    ]


def catalog_events() -> list[ev.Envelope]:
    return [
        ev.AgencyRegistered(
            occurred_at=T0,
            source="intake-service",
            data=ev.AgencyRegisteredData(
                agency_code="STNMT", name="Sở Tài nguyên và Môi trường", admin_level=ev.AdminLevel.PROVINCIAL
            ),
        ),
        ev.ProcedurePublished(
            occurred_at=T0,
            source="intake-service",
            data=ev.ProcedurePublishedData(
                procedure_code="1.004227",
                name="Cấp giấy phép khai thác nước dưới đất",
                agency_code="STNMT",
                admin_level=ev.AdminLevel.PROVINCIAL,
                online_level=4,
                processing_time=ev.ProcessingTime(value=Decimal(15), unit=ev.TimeUnit.WORKING_DAYS),
                fee=Decimal("600000"),
            ),
        ),
        ev.ProcedureRetired(
            occurred_at=T0, source="intake-service", data=ev.ProcedureRetiredData(procedure_code="1.004227")
        ),
    ]


def notification_events() -> list[ev.Envelope]:
    outcome = ev.NotificationOutcome(
        notification_id="n-1",
        channel=ev.NotificationChannel.EMAIL,
        template="receipt.v1",
        dossier_code="STNMT-200106-0001",
    )
    return [
        ev.NotificationSent(occurred_at=T0, source="notification-service", data=outcome),
        ev.NotificationDelivered(occurred_at=T0, source="notification-service", data=outcome),
        ev.NotificationFailed(
            occurred_at=T0,
            source="notification-service",
            data=ev.NotificationFailedData(**outcome.model_dump(), reason="mailbox unavailable", permanent=True),
        ),
    ]
