"""Notification's pure rules: the routing table, templates (refused at load when they name an unknown
placeholder), language choice, SMS segments as a carrier counts them, diacritics removal, webhook
signatures, quiet hours, backoff, freshness and placeholder values."""

import time as clock
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from motcua_notification.domain import signing
from motcua_notification.domain.context import DossierFacts, placeholder_values
from motcua_notification.domain.delivery import normalise_recipient, notification_id
from motcua_notification.domain.language import choose_language
from motcua_notification.domain.policy import Backoff, QuietHours, is_fresh
from motcua_notification.domain.routing import ROUTES, Audience, routes_for
from motcua_notification.domain.sms import Encoding, count_segments, remove_diacritics
from motcua_notification.domain.templates import (
    EVENT_PLACEHOLDERS,
    TemplateError,
    Text,
    UnknownPlaceholder,
    default_templates,
    load_template,
    parse_default_templates,
)
from motcua_shared import events as ev
from motcua_shared.events import NotificationChannel

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

# --- routing ------------------------------------------------------------------------------------


def test_every_required_message_has_a_route() -> None:
    required = {
        ("dossier.accepted", "applicant.accepted"),  # the receipt with the appointment date
        ("dossier.refused", "applicant.refused"),
        ("dossier.supplement_requested", "applicant.supplement_requested"),
        ("dossier.payment_requested", "applicant.payment_requested"),
        ("dossier.result_ready", "applicant.result_ready"),
        ("dossier.returned", "applicant.returned"),
        ("dossier.apology_issued", "applicant.apology"),
        ("dossier.overdue", "agency.overdue"),
        ("dossier.due_soon", "agency.due_soon"),
        ("dossier.returned", "applicant.rating_invitation"),
    }
    routed = {(r.event_type, r.template_id.rsplit(".", 1)[0]) for r in ROUTES}
    assert required <= routed


def test_applicants_are_told_by_email_and_sms_agencies_by_email() -> None:
    accepted = routes_for("dossier.accepted")
    assert {(r.audience, r.channel) for r in accepted} == {
        (Audience.APPLICANT, NotificationChannel.EMAIL),
        (Audience.APPLICANT, NotificationChannel.SMS),
    }
    assert [(r.audience, r.channel) for r in routes_for("dossier.overdue")] == [
        (Audience.AGENCY, NotificationChannel.EMAIL)
    ]
    assert routes_for("dossier.rated") == []  # nobody is told of a rating


def test_every_route_has_a_template_of_its_event_and_channel() -> None:
    templates = default_templates()
    for route in ROUTES:
        template = templates[route.template_id]
        assert template.event_type == route.event_type
        assert route.template_id.endswith("." + route.channel.value)


# --- templates ----------------------------------------------------------------------------------


def test_a_template_with_an_unknown_placeholder_is_refused_at_load() -> None:
    with pytest.raises(UnknownPlaceholder) as refused:
        load_template(
            "applicant.accepted.sms", "dossier.accepted", {"vi": Text("Hồ sơ {dossier_code}: lý do {reason}")}
        )
    assert refused.value.code == "unknown_placeholder"
    assert refused.value.name == "reason" and refused.value.field == "vi.body"


def test_the_shipped_file_is_checked_as_it_loads() -> None:
    broken = '["applicant.refused.sms"]\nevent_type = "dossier.refused"\nvi.body = "{reason} {due_date}"\n'
    with pytest.raises(UnknownPlaceholder, match="due_date"):
        parse_default_templates(broken)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{dossier_code.upper}", "malformed_template"),
        ("{dossier_code:>10}", "malformed_template"),
        ("{dossier_code", "malformed_template"),
        ("   ", "empty_template"),
    ],
)
def test_malformed_templates_are_refused_with_a_code(body: str, code: str) -> None:
    with pytest.raises(TemplateError) as refused:
        load_template("t", "dossier.refused", {"vi": Text(body)})
    assert refused.value.code == code


def test_a_template_needs_vietnamese_and_email_needs_a_subject() -> None:
    with pytest.raises(TemplateError, match="Vietnamese") as refused:
        load_template("t", "dossier.refused", {"en": Text("Refused: {reason}")})
    assert refused.value.code == "missing_language"
    with pytest.raises(TemplateError) as no_subject:
        load_template("t.email", "dossier.refused", {"vi": Text("{reason}")}, needs_subject=True)
    assert no_subject.value.code == "missing_subject"


def test_render_fills_placeholders_and_falls_back_to_vietnamese() -> None:
    template = load_template("t", "dossier.refused", {"vi": Text("Hồ sơ {dossier_code} bị từ chối: {reason}")})
    rendered = template.render("en", {"dossier_code": "ABC-1", "reason": "thiếu giấy tờ"})
    assert rendered.language == "vi"
    assert rendered.body == "Hồ sơ ABC-1 bị từ chối: thiếu giấy tờ"


def test_every_shipped_template_has_both_languages_and_uses_only_known_names() -> None:
    for template in default_templates().values():
        assert set(template.texts) == {"vi", "en"}, template.id
        assert template.event_type in EVENT_PLACEHOLDERS


# --- language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferred", "language"), [("en", "en"), ("EN ", "en"), ("vi", "vi"), (None, "vi"), ("fr", "vi"), ("", "vi")]
)
def test_english_only_for_applicants_who_prefer_it(preferred: str | None, language: str) -> None:
    assert choose_language(preferred) == language


# --- SMS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)])
def test_gsm7_is_160_characters_in_one_segment_153_in_each_part(length: int, segments: int) -> None:
    count = count_segments("a" * length)
    assert count.encoding == Encoding.GSM7 and count.units == length and count.segments == segments


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_is_70_characters_in_one_segment_67_in_each_part(length: int, segments: int) -> None:
    count = count_segments("ồ" * length)
    assert count.encoding == Encoding.UCS2 and count.segments == segments


def test_gsm7_extension_characters_take_two_septets_and_are_not_split() -> None:
    assert count_segments("€" * 80).units == 160
    assert count_segments("€" * 80).segments == 1
    # 152 plain characters, then an escape pair that does not fit in the first part's 153 septets.
    assert count_segments("a" * 152 + "€" + "a" * 10).segments == 2
    # 306 septets would fit two parts of 153 if the pair could be split; it cannot, so three.
    assert count_segments("a" * 152 + "€" + "a" * 152).units == 306
    assert count_segments("a" * 152 + "€" + "a" * 152).segments == 3


def test_vietnamese_with_diacritics_needs_ucs2_and_without_fits_gsm7() -> None:
    text = "Hồ sơ ABC-240102-0001 đã được tiếp nhận. Hẹn trả kết quả: 08:00 ngày 15/01/2026."
    assert count_segments(text).encoding == Encoding.UCS2
    plain = remove_diacritics(text)
    assert plain == "Ho so ABC-240102-0001 da duoc tiep nhan. Hen tra ket qua: 08:00 ngay 15/01/2026."
    assert count_segments(plain).encoding == Encoding.GSM7 and count_segments(plain).segments == 1


VOWELS = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"


def test_diacritics_removal_covers_every_vietnamese_letter() -> None:
    plain = "a" * 17 + "e" * 11 + "i" * 5 + "o" * 17 + "u" * 11 + "y" * 5
    assert remove_diacritics(VOWELS) == plain
    assert remove_diacritics(VOWELS.upper()) == plain.upper()
    assert remove_diacritics("Đường Đỗ Quỳnh") == "Duong Do Quynh"
    # Typographic quotes and dashes would force UCS-2 again; they become their ASCII forms.
    assert remove_diacritics("\u201cTrường\u201d \u2013 ấp") == '"Truong" - ap'


# --- webhook signatures -------------------------------------------------------------------------


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    body, secret, now = b'{"event_type":"dossier.accepted"}', "s3cret-of-the-integrator", int(clock.time())
    signature = signing.sign(secret, now, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert signing.verify(secret, str(now), body, signature, now=now)
    assert not signing.verify(secret, str(now), body + b" ", signature, now=now)
    assert not signing.verify("another-secret", str(now), body, signature, now=now)
    assert not signing.verify(secret, str(now + 1), body, signature, now=now)  # the timestamp is signed
    assert not signing.verify(secret, str(now), body, signature, now=now + 301)  # too old: a replay
    assert not signing.verify(secret, "yesterday", body, signature, now=now)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signing.sign("k", 1700000000, b"{}") == "sha256=" + expected


# --- policies -----------------------------------------------------------------------------------


def test_quiet_hours_queue_sms_until_seven_in_the_morning() -> None:
    quiet = QuietHours(time(21), time(7), HCM)
    evening = datetime(2026, 3, 2, 22, 30, tzinfo=HCM)
    assert quiet.next_allowed(evening) == datetime(2026, 3, 3, 7, 0, tzinfo=HCM)
    early = datetime(2026, 3, 3, 5, 0, tzinfo=HCM)
    assert quiet.next_allowed(early) == datetime(2026, 3, 3, 7, 0, tzinfo=HCM)
    day = datetime(2026, 3, 3, 7, 0, tzinfo=HCM)
    assert quiet.next_allowed(day) == day
    assert quiet.next_allowed(datetime(2026, 3, 3, 20, 59, tzinfo=HCM)).hour == 20
    # The zone counts, not the caller's: 14:30 UTC is 21:30 in Hồ Chí Minh City.
    assert quiet.contains(datetime(2026, 3, 3, 14, 30, tzinfo=UTC))


def test_backoff_doubles_up_to_the_cap_and_gives_up_after_max_attempts() -> None:
    backoff = Backoff(timedelta(seconds=30), timedelta(minutes=5), max_attempts=6)
    assert [backoff.delay_after(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert not backoff.gives_up_after(5) and backoff.gives_up_after(6)


def test_freshness_window_on_occurred_at() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    window = timedelta(hours=24)
    assert is_fresh(now - timedelta(hours=23, minutes=59), now, window)
    assert not is_fresh(now - timedelta(hours=24, seconds=1), now, window)
    assert not is_fresh(now - timedelta(days=182), now, window)


# --- ids and values -----------------------------------------------------------------------------


def test_one_id_per_event_template_recipient_and_channel() -> None:
    email = NotificationChannel.EMAIL
    a = notification_id("e1", "applicant.accepted.email", normalise_recipient(email, " An@Example.vn"), email)
    b = notification_id("e1", "applicant.accepted.email", normalise_recipient(email, "an@example.vn"), email)
    assert a == b
    assert a != notification_id("e2", "applicant.accepted.email", "an@example.vn", email)
    assert a != notification_id("e1", "applicant.accepted.email", "an@example.vn", NotificationChannel.SMS)
    assert normalise_recipient(NotificationChannel.SMS, "0912 345 678") == "0912345678"


def test_placeholder_values_are_written_for_the_reader() -> None:
    facts = DossierFacts("d1", "ABC-1", "STNMT", "STNMT.001", "Lê Văn Tám")
    event = ev.DossierPaymentRequested(
        occurred_at=datetime(2026, 1, 5, 2, tzinfo=UTC),
        source="t",
        dossier_id="d1",
        data=ev.PaymentRequestedData(amount=Decimal(1500000)),
    )
    assert placeholder_values(event, facts, "vi", agency_name=None, portal_url="u")["amount"] == "1.500.000 đồng"
    assert placeholder_values(event, facts, "en", agency_name=None, portal_url="u")["amount"] == "VND 1,500,000"
    accepted = ev.DossierAccepted(
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
        source="t",
        dossier_id="d1",
        data=ev.AcceptedData(due_at=datetime(2026, 1, 9, 1, 30, tzinfo=UTC)),
    )
    vi = placeholder_values(accepted, facts, "vi", agency_name="Sở TN&MT", portal_url="u")
    assert vi["appointment_date"] == "08:30 ngày 09/01/2026" and vi["agency_name"] == "Sở TN&MT"
    assert placeholder_values(accepted, facts, "en", agency_name=None, portal_url="u")["appointment_date"] == (
        "09 January 2026, 08:30"
    )


def test_the_link_in_a_message_is_the_tracking_page_with_the_code_filled_in() -> None:
    facts = DossierFacts("d1", "STNMT-260105-0007", "STNMT", "STNMT.001", "Lê Văn Tám")
    event = ev.DossierAccepted(
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
        source="t",
        dossier_id="d1",
        data=ev.AcceptedData(due_at=datetime(2026, 1, 9, 1, 30, tzinfo=UTC)),
    )
    page = "https://dichvucong.example.gov.vn/track"
    link = placeholder_values(event, facts, "vi", agency_name=None, portal_url=page)["portal_url"]
    assert link == "https://dichvucong.example.gov.vn/track?code=STNMT-260105-0007"
    with_query = placeholder_values(event, facts, "en", agency_name=None, portal_url=page + "?lang=en")
    assert with_query["portal_url"] == page + "?lang=en&code=STNMT-260105-0007"
