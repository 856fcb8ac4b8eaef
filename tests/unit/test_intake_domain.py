"""Intake's pure rules: dossier codes, phones, what a procedure accepts, status folding, fingerprints,
and the shipped sample catalogue."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from motcua_intake.catalog_loader import catalogue_events, read_catalogue
from motcua_intake.domain import tracking
from motcua_intake.domain.catalogue import Procedure, check_submission
from motcua_intake.domain.codes import counter_key, dossier_code
from motcua_intake.domain.phones import normalise_phone, phone_hash
from motcua_intake.service_layer.idempotent import fingerprint
from motcua_shared import events as ev
from motcua_shared.api.errors import refusal_status
from motcua_shared.refusals import Refused
from support import samples


def test_the_code_date_is_the_date_in_hanoi() -> None:
    # 20:30 UTC on 5 January is 03:30 on 6 January in Asia/Ho_Chi_Minh.
    late_utc = datetime(2020, 1, 5, 20, 30, tzinfo=UTC)
    assert counter_key("STNMT", late_utc) == "STNMT-200106"
    assert dossier_code("STNMT", late_utc, 7) == "STNMT-200106-0007"
    assert dossier_code("STP", late_utc, 12345) == "STP-200106-12345"


@pytest.mark.parametrize(
    "raw", ["0912345678", "+84912345678", "84912345678", "0912 345 678", "+84 (91) 234-5678", "0912.345.678"]
)
def test_phones_compare_in_one_national_form(raw: str) -> None:
    assert normalise_phone(raw) == "0912345678"
    assert phone_hash(raw, b"k") == phone_hash("0912345678", b"k")


def test_a_phone_hash_depends_on_the_key_and_hides_the_number() -> None:
    assert phone_hash("0912345678", b"k1") != phone_hash("0912345678", b"k2")
    assert "912345678" not in phone_hash("0912345678", b"k1")
    assert phone_hash("0912345678", b"k") != phone_hash("0912345679", b"k")


def procedure(online_level: int = 4, retired: bool = False) -> Procedure:
    return Procedure(
        code="1.004227",
        name="Cấp giấy phép khai thác nước dưới đất",
        agency_code="STNMT",
        admin_level=ev.AdminLevel.PROVINCIAL,
        online_level=online_level,
        processing_time=ev.ProcessingTime(value=Decimal(15), unit=ev.TimeUnit.WORKING_DAYS),
        retired=retired,
    )


@pytest.mark.parametrize(
    ("found", "agency", "channel", "status", "code"),
    [
        (None, "STNMT", ev.Channel.DIRECT, 404, "procedure_not_found"),
        (procedure(retired=True), "STNMT", ev.Channel.DIRECT, 409, "procedure_retired"),
        (procedure(), "STP", ev.Channel.DIRECT, 422, "procedure_not_of_agency"),
        (procedure(online_level=2), "STNMT", ev.Channel.ONLINE, 422, "online_submission_not_allowed"),
    ],
)
def test_submission_refusals(found: Procedure | None, agency: str, channel: ev.Channel, status: int, code: str) -> None:
    with pytest.raises(Refused) as refused:
        check_submission(found, procedure_code="1.004227", agency_code=agency, channel=channel)
    assert (refusal_status(refused.value), refused.value.code) == (status, code)


@pytest.mark.parametrize(
    ("level", "channel"),
    [(2, ev.Channel.DIRECT), (2, ev.Channel.POSTAL), (3, ev.Channel.ONLINE), (4, ev.Channel.ONLINE)],
)
def test_submissions_a_procedure_accepts(level: int, channel: ev.Channel) -> None:
    accepted = check_submission(procedure(level), procedure_code="1.004227", agency_code="STNMT", channel=channel)
    assert accepted.online_level == level


def test_statuses_fold_from_the_samples_history() -> None:
    status = None
    seen = []
    for event in samples.dossier_events():
        status = tracking.next_status(status, event)
        seen.append(status)
    assert seen[:2] == ["submitted", "accepted"]
    assert "awaiting_payment" in seen and "supplement_requested" in seen
    assert tracking.is_open("in_progress") and tracking.is_open("supplement_requested")
    assert not any(tracking.is_open(s) for s in ("result_ready", "returned", "withdrawn", "refused", None))


def test_the_fingerprint_ignores_key_order_but_not_content() -> None:
    a = fingerprint("POST", "/v1/dossiers", {"x": 1, "y": {"b": 2, "a": 1}})
    assert a == fingerprint("post", "/v1/dossiers", {"y": {"a": 1, "b": 2}, "x": 1})
    assert a != fingerprint("POST", "/v1/dossiers", {"x": 2, "y": {"b": 2, "a": 1}})
    assert a != fingerprint("POST", "/v1/agencies", {"x": 1, "y": {"b": 2, "a": 1}})


def test_the_sample_catalogue_spans_levels_and_validates_against_the_contract() -> None:
    document = read_catalogue()
    agencies = {a["agency_code"]: a for a in document["agencies"]}
    assert 10 <= len(agencies) <= 15
    assert {a["admin_level"] for a in agencies.values()} == {"provincial", "district", "commune"}
    assert {"STNMT", "STP", "SCT", "SKHDT", "SXD"} <= set(agencies)
    assert all(a["parent_code"] in agencies for a in agencies.values() if a.get("parent_code"))
    procedures = document["procedures"]
    assert len(procedures) >= 24
    assert {p["online_level"] for p in procedures} == {2, 3, 4}
    assert {p["processing_time"]["unit"] for p in procedures} >= {"working_days", "working_hours"}
    assert all(p["agency_code"] in agencies and p["name_en"] for p in procedures)
    assert all(p["admin_level"] == agencies[p["agency_code"]]["admin_level"] for p in procedures)

    events = catalogue_events(document, source="intake-service", occurred_at=datetime(2020, 1, 6, tzinfo=UTC))
    assert len(events) == len(agencies) + len(procedures)
    for event in events:  # what consumers will read back: valid, and without the English gloss
        parsed = ev.parse_event(event.to_bytes(), expect=ev.CATALOG_EVENT_TYPES)
        assert "name_en" not in event.to_bytes().decode()
        assert parsed == event
    registered = [e.data.agency_code for e in events if isinstance(e, ev.AgencyRegistered)]
    for agency in registered:  # parents are registered before their children
        parent = agencies[agency].get("parent_code")
        assert parent is None or registered.index(parent) < registered.index(agency)
    again = catalogue_events(document, source="intake-service", occurred_at=datetime(2021, 1, 1, tzinfo=UTC))
    assert [e.event_id for e in again] == [e.event_id for e in events]  # loading twice applies once


@pytest.mark.parametrize(
    ("role", "agency", "channel", "code"),
    [
        ("officer", "STNMT", ev.Channel.DIRECT, None),
        ("officer", "STP", ev.Channel.DIRECT, "forbidden_agency"),
        ("officer", "STNMT", ev.Channel.POSTAL, None),
        ("integrator", None, ev.Channel.POSTAL, None),
        ("integrator", None, ev.Channel.ONLINE, None),
        ("applicant", None, ev.Channel.ONLINE, None),
        ("applicant", None, ev.Channel.DIRECT, "forbidden_role"),
        ("officer", "STNMT", ev.Channel.ONLINE, "forbidden_role"),
        ("admin", None, ev.Channel.DIRECT, "forbidden_role"),
    ],
)
def test_who_may_submit_on_which_channel(role: str, agency: str | None, channel: ev.Channel, code: str | None) -> None:
    from motcua_intake.service_layer.submission import check_channel_role
    from motcua_shared.auth import Principal, Role

    principal = Principal(subject="s", role=Role(role), agency_code=agency)
    if code is None:
        check_channel_role(principal, channel, "STNMT")
    else:
        with pytest.raises(Refused) as refused:
            check_channel_role(principal, channel, "STNMT")
        assert (refusal_status(refused.value), refused.value.code) == (403, code)
