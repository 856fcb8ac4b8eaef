"""Turns the raw bytes of a Kafka value into a typed event, or a validation error naming the field."""

import json
import re
from dataclasses import dataclass
from typing import TypeVar

from pydantic import ValidationError

from .catalog import CATALOG_EVENT_TYPES
from .dossier import DOSSIER_EVENT_TYPES
from .envelope import Envelope
from .notification import NOTIFICATION_EVENT_TYPES

E = TypeVar("E", bound=Envelope)

# Larger than any real event by far (the biggest, a submission, is a few KiB); Kafka's own default
# record limit is 1 MiB.
MAX_EVENT_BYTES = 1024 * 1024

ALL_EVENT_TYPES: tuple[type[Envelope], ...] = DOSSIER_EVENT_TYPES + CATALOG_EVENT_TYPES + NOTIFICATION_EVENT_TYPES
EVENT_CLASSES: dict[str, type[Envelope]] = {cls.model_fields["event_type"].default: cls for cls in ALL_EVENT_TYPES}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class EventValidationError(ValueError):
    """An event that does not satisfy the contract. `field` names the first failing field
    (dotted path, e.g. `data.channel`); `errors` lists all of them."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        self.field = errors[0].field
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @property
    def reason(self) -> str:
        return str(self)


def _fail(field: str, message: str) -> EventValidationError:
    return EventValidationError([FieldError(field, message)])


# A JSON string escape of U+0000 that is not itself an escaped backslash followed by "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def json_has_nul(raw: bytes) -> bool:
    """Does this JSON text hold U+0000 (escaped, or raw, which is not JSON anyway)?"""
    if b"\x00" in raw:
        return True
    # A substring test first (~1 µs for an 800-byte event, nearly always no): the regex tries every
    # position (~30 µs), a sixth of the rebuild's cost of parsing an event.
    return (b"u0000" in raw or b"U0000" in raw) and _JSON_NUL.search(raw) is not None


def parse_event(raw: bytes | str, *, expect: tuple[type[E], ...] | None = None) -> E:
    """Parse one Kafka value. `expect` restricts the accepted event classes (e.g. to the dossier
    events on `dossier.events`). Raises EventValidationError naming the failing field."""
    if len(raw) > MAX_EVENT_BYTES:
        raise _fail("$", f"an event is at most {MAX_EVENT_BYTES} bytes; this one has {len(raw)}")
    if json_has_nul(raw.encode() if isinstance(raw, str) else raw):
        # PostgreSQL (under FerretDB) keeps no U+0000 in any text: folding it would fail for ever.
        raise _fail("$", "an event's text may not contain the NUL character (U+0000)")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and integers too long to convert; RecursionError,
        # JSON nested deeper than the parser's stack: hostile input is refused like any other.
        raise _fail("$", f"not UTF-8 JSON: {str(exc)[:200]}") from exc
    if not isinstance(document, dict):
        raise _fail("$", "an event must be a JSON object")

    event_type = document.get("event_type")
    allowed = expect or ALL_EVENT_TYPES
    cls = EVENT_CLASSES.get(event_type) if isinstance(event_type, str) else None
    if cls is None or cls not in allowed:
        names = sorted(c.model_fields["event_type"].default for c in allowed)
        shown = repr(event_type)[:100]
        raise _fail("event_type", f"unknown event type {shown}; expected one of {', '.join(names)}")

    try:
        return cls.model_validate(document)  # type: ignore[return-value]
    except ValidationError as exc:
        raise EventValidationError([FieldError(_dotted(err["loc"]), err["msg"]) for err in exc.errors()]) from exc


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "$"
