"""Notification's decision on in-memory fakes (tests/unit/fakes.py): which messages an event records,
to whom and in which words, and that an event coming again records nothing new."""

from datetime import datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from fakes import Deliveries, Directory, Letters, Subscriptions, Templates
from motcua_notification.domain.policy import QuietHours
from motcua_notification.service_layer.notifier import Notifier
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.events import NotificationChannel

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=PROVINCE_TZ)
DUE = datetime(2025, 3, 24, 17, 0, tzinfo=PROVINCE_TZ)


def notifier() -> tuple[Notifier, Deliveries]:
    deliveries = Deliveries()
    return Notifier(
        directory=Directory(),
        deliveries=deliveries,
        templates=Templates(),
        subscriptions=Subscriptions(),
        letters=Letters(),
        freshness=timedelta(hours=24),
        quiet_hours=QuietHours(start=time(21), end=time(7), zone=ZoneInfo("Asia/Ho_Chi_Minh")),
        sms_without_diacritics=False,
        portal_url="https://dichvucong.example.vn",
        now=lambda: NOW,
    ), deliveries


def _event(cls: type[ev.DossierEvent], at: datetime, data: ev.Payload) -> ev.DossierEvent:
    return cls(event_id=uuid4(), occurred_at=at, source="intake-service", dossier_id="d-1", data=data)


SUBMITTED = _event(
    ev.DossierSubmitted,
    NOW - timedelta(minutes=5),
    ev.SubmittedData(
        dossier_code="STNMT-250303-0001",
        procedure_code="1.004227",
        agency_code="STNMT",
        channel=ev.Channel.DIRECT,
        applicant=ev.Applicant(
            full_name="Nguyễn Văn An",
            id_number="001085012345",
            phone="0912345678",
            email="an.nguyen@example.vn",
            preferred_language="vi",
        ),
    ),
)


async def test_an_accepted_dossier_tells_the_applicant_its_appointment_once() -> None:
    service, deliveries = notifier()
    await service.on_dossier_event(SUBMITTED)
    before = set(deliveries.recorded)
    accepted = _event(ev.DossierAccepted, NOW, ev.AcceptedData(due_at=DUE))

    added = await service.on_dossier_event(accepted)

    told = [d for d in deliveries.recorded.values() if d.id not in before]
    assert added == len(told) > 0
    assert {d.channel for d in told} >= {NotificationChannel.EMAIL, NotificationChannel.SMS}
    email = next(d for d in told if d.channel == NotificationChannel.EMAIL)
    assert email.recipient == "an.nguyen@example.vn" and email.language == "vi"
    assert "STNMT-250303-0001" in email.body and "24/03/2025" in email.body
    assert await service.on_dossier_event(accepted) == 0  # the event again (a redelivery): nothing new


async def test_an_event_older_than_the_freshness_window_tells_nobody() -> None:
    service, deliveries = notifier()
    await service.on_dossier_event(SUBMITTED)
    before = len(deliveries.recorded)
    late = _event(ev.DossierAccepted, NOW - timedelta(days=3), ev.AcceptedData(due_at=DUE))
    assert await service.on_dossier_event(late) == 0
    assert len(deliveries.recorded) == before


async def test_one_batch_teaches_later_events_of_a_dossier_and_keeps_its_order() -> None:
    service, deliveries = notifier()
    accepted = _event(ev.DossierAccepted, NOW, ev.AcceptedData(due_at=DUE))

    folded = await service.on_dossier_events([SUBMITTED, accepted])

    assert folded.added == len(deliveries.recorded) and not folded.poisoned
    received = [d for d in deliveries.recorded.values() if d.cause_event_id == str(SUBMITTED.event_id)]
    told = [d for d in deliveries.recorded.values() if d.cause_event_id == str(accepted.event_id)]
    assert received and told  # the acceptance knew the applicant from the submission in the same batch
    assert max(d.created_at for d in received) < min(d.created_at for d in told)
    assert {d.due_at for d in told} == {NOW}  # due when decided, SMS quiet hours aside
    assert (await service.on_dossier_events([SUBMITTED, accepted])).added == 0  # the batch again


async def test_an_event_that_cannot_be_decided_is_handed_back_and_the_rest_recorded() -> None:
    service, deliveries = notifier()
    accepted = _event(ev.DossierAccepted, NOW, ev.AcceptedData(due_at=DUE))
    decide = service.decider.decide

    def failing(event: ev.DossierEvent, *args: object) -> object:
        if event is accepted:
            raise KeyError("a placeholder")
        return decide(event, *args)  # type: ignore[arg-type]

    service.decider.decide = failing  # type: ignore[method-assign]
    folded = await service.on_dossier_events([SUBMITTED, accepted])

    assert [(e, type(x)) for e, x in folded.poisoned] == [(accepted, KeyError)]
    assert folded.added > 0
    assert {d.cause_event_id for d in deliveries.recorded.values()} == {str(SUBMITTED.event_id)}
