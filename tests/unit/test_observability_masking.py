"""Personal data never reaches a log line; the dossier and event being handled always do."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from motcua_shared.logs import (
    JsonFormatter,
    PersonalDataFilter,
    bind_log_context,
    log_context,
    mask_personal_data,
)


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test-service"))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger(f"test.masking.{id(stream)}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def logged(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("CCCD 001085012345 của người nộp", "001085012345", "***345"),
        ("CMND cũ 123456789", "123456789", "***789"),
        ("gọi 0912345678 khi có kết quả", "0912345678", "***678"),
        ("gọi +84 912 345 678", "912 345 678", "***678"),
        ("gọi 0912.345.678", "0912.345.678", "***678"),
        ("gửi an.nguyen@example.vn", "an.nguyen", "***@example.vn"),
        ("{'address': '12 Lê Lợi, Huế', 'x': 1}", "Lê Lợi", "'address': '***'"),
        ('{"full_name": "Nguyễn Văn An"}', "Nguyễn", '"full_name": "***"'),
        ("address=12 Lê Lợi; phone=0912345678", "Lê Lợi", "address=***"),
    ],
)
def test_personal_data_in_text_is_masked(text: str, secret: str, kept: str) -> None:
    masked = mask_personal_data(text)
    assert secret not in masked
    assert kept in masked


@pytest.mark.parametrize(
    "text",
    [
        "event 123e4567-e89b-12d3-a456-426614174000 applied",
        "event 0e4a1c2f-0000-4000-8000-012345678901 applied",
        "dossier STNMT-240102-0001 accepted at 2026-11-23T10:00:00+07:00",
        "dead-lettered dossier.events/2/123456789012345",
        "listening on 127.0.0.1:9092",
    ],
)
def test_codes_ids_times_and_offsets_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def test_a_log_line_masks_the_message_the_extras_and_the_traceback(lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = lines
    try:
        raise ValueError("applicant 001085012345 not found")
    except ValueError:
        logger.exception(
            "lookup of %s failed",
            "0912345678",
            extra={
                "address": "12 Lê Lợi, Huế",
                "note": "mail an.nguyen@example.vn",
                "event_id": "123e4567-e89b-12d3-a456-426614174000",
            },
        )
    text = stream.getvalue()
    for secret in ("0912345678", "Lê Lợi", "an.nguyen", "001085012345"):
        assert secret not in text
    (line,) = logged(stream)
    assert line["message"] == "lookup of ***678 failed"
    assert line["address"] == "***"
    assert line["note"] == "mail ***@example.vn"
    assert line["event_id"] == "123e4567-e89b-12d3-a456-426614174000"  # ids are never masked
    assert "***345" in line["exception"]


def test_log_lines_carry_the_context_of_what_is_being_handled(lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = lines
    with log_context(topic="dossier.events"):
        bind_log_context(event_id="e-1", dossier_code="STNMT-240102-0001")
        logger.info("folded")
        with log_context(event_type="dossier.accepted"):
            logger.info("inner")
    logger.info("after")
    first, inner, after = logged(stream)
    assert first["event_id"] == "e-1" and first["dossier_code"] == "STNMT-240102-0001"
    assert first["topic"] == "dossier.events" and first["service"] == "test-service"
    assert inner["event_type"] == "dossier.accepted" and inner["event_id"] == "e-1"
    assert "event_id" not in after and "dossier_code" not in after
