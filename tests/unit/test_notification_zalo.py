"""Zalo's template table: our placeholders fill a ZNS template's parameters, per message kind; a
table naming an unknown kind or placeholder is refused when loaded; phones in Zalo's form; which of
Zalo's error codes are retried."""

import pytest
from motcua_notification.domain.zalo import (
    APPLICANT_KINDS,
    ZaloTemplateError,
    classify,
    load_zalo_templates,
    zalo_phone,
    zalo_routes,
)
from motcua_shared.events import NotificationChannel

TABLE = {
    "applicant.accepted": {"template_id": "231456", "parameters": {
        "customer_name": {"placeholder": "applicant_name", "max_length": 10},
        "ma_ho_so": "dossier_code", "ngay_hen": "appointment_date", "tra_cuu": "portal_url"}},
    "applicant.result_ready": {"template_id": "231457", "parameters": {"ma_ho_so": "dossier_code"}},
}


def test_each_parameter_is_filled_from_its_placeholder_and_cut_to_its_limit() -> None:
    accepted = load_zalo_templates(TABLE)["applicant.accepted"]
    values = {"applicant_name": "Nguyễn Thị Thanh Hoa", "dossier_code": "SOTP-261201-0001",
              "appointment_date": "08:00 ngày 08/12/2026", "portal_url": "https://x.vn/track?code=SOTP-261201-0001",
              "agency_name": "Sở Tư pháp"}
    assert accepted.template_id == "231456"
    assert accepted.event_type == "dossier.accepted"
    assert accepted.template_data(values) == {
        "customer_name": "Nguyễn Th…", "ma_ho_so": "SOTP-261201-0001", "ngay_hen": "08:00 ngày 08/12/2026",
        "tra_cuu": "https://x.vn/track?code=SOTP-261201-0001"}


def test_only_configured_kinds_of_the_event_go_on_zalo() -> None:
    templates = load_zalo_templates(TABLE)
    (route,) = zalo_routes("dossier.accepted", templates)
    assert (route.channel, route.template_id) == (NotificationChannel.ZALO, "applicant.accepted.zalo")
    assert zalo_routes("dossier.refused", templates) == []  # no template for it: not on Zalo
    assert zalo_routes("dossier.accepted", {}) == []


@pytest.mark.parametrize("table, complaint", [
    ({"applicant.nothing": {"template_id": "1", "parameters": {"a": "dossier_code"}}}, "not a message kind"),
    ({"agency.overdue": {"template_id": "1", "parameters": {"a": "dossier_code"}}}, "not a message kind"),
    ({"applicant.accepted": {"parameters": {"a": "dossier_code"}}}, "template_id is required"),
    ({"applicant.accepted": {"template_id": "1", "parameters": {}}}, "parameters"),
    # `amount` is a payment request's, not an acceptance's
    ({"applicant.accepted": {"template_id": "1", "parameters": {"a": "amount"}}}, "unknown placeholder {amount}"),
    ({"applicant.accepted": {"template_id": "1", "parameters": {"a": {"placeholder": "dossier_code",
                                                                      "max_length": 0}}}}, "max_length"),
    ({"applicant.accepted": {"template_id": "1", "parameters": {"a": 5}}}, "placeholder name"),
])
def test_a_wrong_table_is_refused_when_loaded(table: dict, complaint: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ZaloTemplateError, match=complaint.replace("{", r"\{").replace("}", r"\}")):
        load_zalo_templates(table)


def test_every_applicant_message_has_a_kind() -> None:
    assert APPLICANT_KINDS["applicant.accepted"] == "dossier.accepted"
    assert APPLICANT_KINDS["applicant.rating_invitation"] == "dossier.returned"
    assert not any(kind.startswith("agency.") for kind in APPLICANT_KINDS)


@pytest.mark.parametrize("raw, expected", [
    ("0912 345 678", "84912345678"), ("+84 912.345.678", "84912345678"), ("84912345678", "84912345678"),
    ("0387-123-456", "84387123456"),
    ("024 3825 1234", None),  # a landline has no Zalo
    ("+1 415 555 0100", None), ("0912", None),
])
def test_phones_in_zalos_form(raw: str, expected: str | None) -> None:
    assert zalo_phone(raw) == expected


def test_transient_errors_are_retried_and_the_persons_or_templates_are_not() -> None:
    for code in (-100, -115, -124, -220):  # Zalo's side, quota, an expired token
        assert classify(code).transient, code
    for code in (-108, -109, -112, -117, -118, -119):  # phone, template, no Zalo, refuses ZNS
        assert not classify(code).transient, code
    assert not classify(-9999).transient  # undocumented: not resent blindly
    assert "Phone number invalid" in classify(-108).meaning
