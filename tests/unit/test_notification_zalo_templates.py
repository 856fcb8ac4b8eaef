"""Zalo's template table: our placeholders fill a ZNS template's parameters, per message kind; a
table naming an unknown kind or placeholder is refused when loaded; phones in Zalo's form; which of
Zalo's error codes and HTTP answers are retried."""

import json
from collections.abc import Callable

import httpx
import pytest
from motcua_notification.adapters.zalo import HttpZaloSender
from motcua_notification.domain.zalo import (
    APPLICANT_KINDS,
    ZaloTemplateError,
    classify,
    load_zalo_templates,
    zalo_phone,
    zalo_routes,
)
from motcua_notification.service_layer.ports import SendError
from motcua_shared.events import NotificationChannel

TABLE = {
    "applicant.accepted": {
        "template_id": "231456",
        "parameters": {
            "customer_name": {"placeholder": "applicant_name", "max_length": 10},
            "ma_ho_so": "dossier_code",
            "ngay_hen": "appointment_date",
            "tra_cuu": "portal_url",
        },
    },
    "applicant.result_ready": {"template_id": "231457", "parameters": {"ma_ho_so": "dossier_code"}},
}


def test_each_parameter_is_filled_from_its_placeholder_and_cut_to_its_limit() -> None:
    accepted = load_zalo_templates(TABLE)["applicant.accepted"]
    values = {
        "applicant_name": "Nguyễn Thị Thanh Hoa",
        "dossier_code": "SOTP-261201-0001",
        "appointment_date": "08:00 ngày 08/12/2026",
        "portal_url": "https://x.vn/track?code=SOTP-261201-0001",
        "agency_name": "Sở Tư pháp",
    }
    assert accepted.template_id == "231456"
    assert accepted.event_type == "dossier.accepted"
    assert accepted.template_data(values) == {
        "customer_name": "Nguyễn Th…",
        "ma_ho_so": "SOTP-261201-0001",
        "ngay_hen": "08:00 ngày 08/12/2026",
        "tra_cuu": "https://x.vn/track?code=SOTP-261201-0001",
    }


def test_only_configured_kinds_of_the_event_go_on_zalo() -> None:
    templates = load_zalo_templates(TABLE)
    (route,) = zalo_routes("dossier.accepted", templates)
    assert (route.channel, route.template_id) == (NotificationChannel.ZALO, "applicant.accepted.zalo")
    assert zalo_routes("dossier.refused", templates) == []  # no template for it: not on Zalo
    assert zalo_routes("dossier.accepted", {}) == []


@pytest.mark.parametrize(
    "table, complaint",
    [
        ({"applicant.nothing": {"template_id": "1", "parameters": {"a": "dossier_code"}}}, "not a message kind"),
        ({"agency.overdue": {"template_id": "1", "parameters": {"a": "dossier_code"}}}, "not a message kind"),
        ({"applicant.accepted": {"parameters": {"a": "dossier_code"}}}, "template_id is required"),
        ({"applicant.accepted": {"template_id": "1", "parameters": {}}}, "parameters"),
        # `amount` is a payment request's, not an acceptance's
        ({"applicant.accepted": {"template_id": "1", "parameters": {"a": "amount"}}}, "unknown placeholder {amount}"),
        (
            {
                "applicant.accepted": {
                    "template_id": "1",
                    "parameters": {"a": {"placeholder": "dossier_code", "max_length": 0}},
                }
            },
            "max_length",
        ),
        ({"applicant.accepted": {"template_id": "1", "parameters": {"a": 5}}}, "placeholder name"),
    ],
)
def test_a_wrong_table_is_refused_when_loaded(table: dict, complaint: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ZaloTemplateError, match=complaint.replace("{", r"\{").replace("}", r"\}")):
        load_zalo_templates(table)


def test_every_applicant_message_has_a_kind() -> None:
    assert APPLICANT_KINDS["applicant.accepted"] == "dossier.accepted"
    assert APPLICANT_KINDS["applicant.rating_invitation"] == "dossier.returned"
    assert not any(kind.startswith("agency.") for kind in APPLICANT_KINDS)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912 345 678", "84912345678"),
        ("+84 912.345.678", "84912345678"),
        ("84912345678", "84912345678"),
        ("0387-123-456", "84387123456"),
        ("024 3825 1234", None),  # a landline has no Zalo
        ("+1 415 555 0100", None),
        ("0912", None),
    ],
)
def test_phones_in_zalos_form(raw: str, expected: str | None) -> None:
    assert zalo_phone(raw) == expected


def test_transient_errors_are_retried_and_the_persons_or_templates_are_not() -> None:
    for code in (-100, -115, -124, -220):  # Zalo's side, quota, an expired token
        assert classify(code).transient, code
    for code in (-108, -109, -112, -117, -118, -119):  # phone, template, no Zalo, refuses ZNS
        assert not classify(code).transient, code
    assert not classify(-9999).transient  # undocumented: not resent blindly
    assert "Phone number invalid" in classify(-108).meaning


# --- the HTTP adapter, on httpx's mock transport --------------------------------------------------


def _sender(answer: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]) -> HttpZaloSender:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return HttpZaloSender(client, url="https://zalo.test/message/template", access_token="oa-token")


async def _send(sender: HttpZaloSender, phone: str = "0912 345 678") -> str | None:
    return await sender.send_template(
        reference="n-1", phone=phone, template_id="231456", template_data={"ma_ho_so": "SOTP-261201-0001"}
    )


async def test_the_request_is_zns_and_its_msg_id_is_returned() -> None:
    seen: list[httpx.Request] = []
    sender = _sender(
        lambda r: httpx.Response(200, json={"error": 0, "message": "Success", "data": {"msg_id": "abc123"}}), seen
    )
    assert await _send(sender) == "abc123"
    (request,) = seen
    assert request.headers["access_token"] == "oa-token"
    assert json.loads(request.content) == {
        "phone": "84912345678",
        "template_id": "231456",
        "template_data": {"ma_ho_so": "SOTP-261201-0001"},
        "tracking_id": "n-1",
    }


@pytest.mark.parametrize(
    "response, permanent",
    [
        (httpx.Response(200, json={"error": -124, "message": "Access token invalid"}), False),
        (httpx.Response(200, json={"error": -108, "message": "Phone number invalid"}), True),
        (httpx.Response(503, text="busy"), False),
        (httpx.Response(429, text="slow down"), False),
        (httpx.Response(404, text="no such path"), True),
        (httpx.Response(200, text="<html>proxy</html>"), True),  # it may have gone out: not resent
    ],
)
async def test_zalos_answers_are_read_as_transient_or_permanent(response: httpx.Response, permanent: bool) -> None:
    with pytest.raises(SendError) as failure:
        await _send(_sender(lambda r: response, []))
    assert failure.value.permanent is permanent


async def test_a_number_zalo_cannot_reach_fails_at_once_without_a_request() -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(SendError, match="not a Vietnamese mobile number") as failure:
        await _send(_sender(lambda r: httpx.Response(200, json={"error": 0}), seen), phone="+1 415 555 0100")
    assert failure.value.permanent and seen == []
