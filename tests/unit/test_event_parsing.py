import json

import pytest
from motcua_shared.events import (
    ALL_EVENT_TYPES,
    CATALOG_EVENT_TYPES,
    DOSSIER_EVENT_TYPES,
    AgencyRegistered,
    DossierSubmitted,
    EventValidationError,
    parse_event,
)
from pydantic import ValidationError
from support import samples


def _submitted() -> dict:
    return json.loads(samples.dossier_events()[0].to_bytes())


def test_every_contract_event_type_has_a_class() -> None:
    names = {cls.model_fields["event_type"].default for cls in ALL_EVENT_TYPES}
    assert len(names) == len(ALL_EVENT_TYPES)
    assert len(ALL_EVENT_TYPES) >= 23  # the contract's, the due-soon warning and issue 18's additions
    assert {"dossier.supplement_expired", "dossier.supplement_due_soon", "dossier.result_uncollected"} <= names
    assert "dossier.apology_issued" in names and "procedure.retired" in names


def test_events_are_frozen() -> None:
    event = samples.dossier_events()[0]
    with pytest.raises(ValidationError):
        event.source = "someone-else"  # type: ignore[misc]


def test_an_event_parses_back_to_its_own_class() -> None:
    event = samples.dossier_events()[0]
    parsed = parse_event(event.to_bytes())
    assert isinstance(parsed, DossierSubmitted)
    assert parsed == event
    assert parsed.data.applicant.full_name == "Nguyễn Văn An"


def test_a_wrong_channel_is_named_in_the_error() -> None:
    document = _submitted()
    document["data"]["channel"] = "fax"
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(document).encode())
    assert caught.value.field == "data.channel"
    assert "direct" in str(caught.value)


def test_a_missing_dossier_id_is_named_in_the_error() -> None:
    document = _submitted()
    del document["dossier_id"]
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(document).encode())
    assert caught.value.field == "dossier_id"


def test_occurred_at_without_an_offset_is_refused() -> None:
    document = _submitted()
    document["occurred_at"] = "2020-01-06T08:15:00"
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(document).encode())
    assert caught.value.field == "occurred_at"


def test_an_unknown_event_type_is_named_in_the_error() -> None:
    document = _submitted()
    document["event_type"] = "dossier.teleported"
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(document).encode())
    assert caught.value.field == "event_type"


def test_a_catalogue_event_is_refused_where_dossier_events_are_expected() -> None:
    raw = samples.catalog_events()[0].to_bytes()
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw, expect=DOSSIER_EVENT_TYPES)
    assert caught.value.field == "event_type"
    assert isinstance(parse_event(raw, expect=CATALOG_EVENT_TYPES), AgencyRegistered)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"\xff\xfe", b"[1, 2]", b"null", b'"dossier.submitted"'],
    ids=["empty", "text", "not-utf8", "array", "null", "string"],
)
def test_values_that_are_not_json_objects_are_refused(raw: bytes) -> None:
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw)
    assert caught.value.field == "$"


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    document = _submitted()
    document["data"]["future_field"] = "added by a later minor version"
    parsed = parse_event(json.dumps(document).encode())
    assert isinstance(parsed, DossierSubmitted)


def test_schema_version_other_than_1_is_refused() -> None:
    document = _submitted()
    document["schema_version"] = 2
    with pytest.raises(EventValidationError) as caught:
        parse_event(json.dumps(document).encode())
    assert caught.value.field == "schema_version"


def test_amounts_are_written_as_json_numbers() -> None:
    payment = next(e for e in samples.dossier_events() if e.event_type == "dossier.payment_completed")
    assert json.loads(payment.to_bytes())["data"]["amount"] == 150000


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"event_type": "dossier.submitted", "n": ' + b"9" * 100_000 + b"}",
        b'{"event_type": "' + b"x" * 2_000_000 + b'"}',
    ],
    ids=["deep-array", "deep-object", "huge-integer", "oversize"],
)
def test_hostile_json_is_refused_as_invalid_not_raised_as_a_crash(raw: bytes) -> None:
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw)
    assert caught.value.field == "$" and len(caught.value.reason) < 300


@pytest.mark.parametrize(
    "field",
    [
        "data",
        "data.applicant",
        "data.channel",
        "occurred_at",
        "dossier_id",
        "event_id",
        "schema_version",
        "data.attachments",
    ],
)
@pytest.mark.parametrize("hostile", [None, [], {}, "x" * 100_000, -1, 1e308, True, [{"$gt": ""}], {"$where": "1"}])
def test_any_value_in_any_field_parses_or_is_refused_naming_a_field(field: str, hostile: object) -> None:
    document = _submitted()
    *path, last = field.split(".")
    target = document
    for part in path:
        target = target[part]
    target[last] = hostile
    try:
        event = parse_event(json.dumps(document).encode())
    except EventValidationError as caught:
        assert caught.field != ""
    else:
        assert isinstance(event, DossierSubmitted)
