"""The supersession table (which later event makes a waiting SMS untrue) names only real event types,
only messages that are routed as SMS, and never the messages that must always reach the applicant."""

from motcua_notification.domain.routing import ROUTES
from motcua_notification.domain.supersession import SUPERSEDED_BY, SUPERSEDING, superseded_by
from motcua_shared import events as ev
from motcua_shared.events import NotificationChannel

EVENT_TYPES = {cls.model_fields["event_type"].default for cls in ev.DOSSIER_EVENT_TYPES}
SMS_EVENTS = {r.event_type for r in ROUTES if r.channel == NotificationChannel.SMS}


def test_the_table_names_real_event_types_of_messages_sent_by_sms() -> None:
    assert set(SUPERSEDED_BY) <= SMS_EVENTS
    assert SUPERSEDING <= EVENT_TYPES


def test_final_messages_and_the_apology_are_never_superseded() -> None:
    for event_type in ("dossier.refused", "dossier.returned", "dossier.apology_issued"):
        assert superseded_by(event_type) == frozenset()


def test_a_request_is_superseded_by_its_answer_and_by_the_end_of_the_dossier() -> None:
    assert "dossier.payment_completed" in superseded_by("dossier.payment_requested")
    assert "dossier.supplement_received" in superseded_by("dossier.supplement_requested")
    assert "dossier.returned" in superseded_by("dossier.result_ready")
    for event_type in SUPERSEDED_BY:
        assert "dossier.withdrawn" in superseded_by(event_type)
    # an answer does not supersede another request: "please pay" stays after papers arrive
    assert "dossier.supplement_received" not in superseded_by("dossier.payment_requested")
