"""JSON logs, one object a line, carrying the dossier code and event id of what is being handled, with
personal data masked.

- Context: the shared consumer binds `event_id`, `event_type`, `dossier_id` (and `dossier_code` when the
  event carries it) for the whole of a handler; the shared HTTP middleware binds `dossier_code` when
  the route has a `{code}` in its path. Every record logged meanwhile carries them, and the current
  trace's `trace_id`/`span_id`, without the caller passing `extra=`.
- Masking (`PersonalDataFilter`): citizen ID numbers (12 digits, or the old 9), phone numbers, the
  local part of e-mail addresses and the values of known personal fields (`address`, `full_name`,
  `id_number`, `phone`, `email`, ...) are masked in the message, in extras and in tracebacks. Personal
  data must not be logged in the first place; this is the net under that rule (Decree 13/2023).
"""

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Fields a caller may attach with `logger.info("...", extra={"dossier_code": ...})`; never masked
# (they are codes and ids, not personal data, and a UUID may well contain nine digits in a row).
CONTEXT_FIELDS = ("service", "dossier_code", "dossier_id", "event_id", "event_type", "topic", "request_id")

# Attributes every LogRecord has; anything else on a record came with `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

_context: ContextVar[dict[str, str] | None] = ContextVar("motcua_log_context", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[dict[str, str]]:
    """Bind `fields` (and whatever `bind_log_context` adds inside) to every record logged in the block."""
    scope = {**(_context.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(scope)
    try:
        yield scope
    finally:
        _context.reset(token)


def bind_log_context(**fields: Any) -> None:
    """Add `fields` to the innermost `log_context` (a request's, a consumed event's). Mutates the scope
    in place, so that what a route's dependency binds is seen by the middleware that opened it."""
    scope = _context.get()
    values = {k: str(v) for k, v in fields.items() if v is not None}
    if scope is None:
        _context.set(values)  # outside any scope (a script): bound for the rest of this context
    else:
        scope.update(values)


def current_log_context() -> dict[str, str]:
    return dict(_context.get() or {})


# --- masking -------------------------------------------------------------------------------------

MASK = "***"
# Keys whose values are personal whatever they look like (in extras, dict reprs and JSON in messages).
PERSONAL_KEYS = ("address", "full_name", "id_number", "citizen_id", "phone", "phone_number", "email", "date_of_birth")
_KEYS = "|".join(PERSONAL_KEYS)
_KEYED_VALUE = re.compile(
    rf"""(?P<key>["']?(?:{_KEYS})["']?\s*[:=]\s*)(?:(?P<q>["'])(?P<quoted>.*?)(?P=q)|(?P<bare>[^,;}}\]\n]+))""",
    re.IGNORECASE,
)
# Citizen ID (CCCD, 12 digits) or old identity card (CMND, 9 digits), standing alone.
_ID_NUMBER = re.compile(r"(?<![\w.-])(?:\d{12}|\d{9})(?![\w-])")
# Vietnamese phones: 0 or +84/84 then 9-10 digits, optionally grouped with spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w+-])(?:\+84|84|0)(?:[ .-]?\d){8,10}(?![\w-])")
_EMAIL = re.compile(r"[\w.+-]+@(?=[\w-]+\.[\w.-]+)")


def _keep_tail(match: re.Match[str], keep: int) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return MASK + digits[-keep:]


def _mask_keyed(match: re.Match[str]) -> str:
    quote = match.group("q") or ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


def mask_personal_data(text: str) -> str:
    """`text` with ID numbers, phones, e-mail local parts and known personal fields masked
    (numbers keep their last three digits, so that a support officer can still tell two apart)."""
    text = _KEYED_VALUE.sub(_mask_keyed, text)
    text = _ID_NUMBER.sub(lambda m: _keep_tail(m, 3), text)
    text = _PHONE.sub(lambda m: _keep_tail(m, 3), text)
    return _EMAIL.sub(MASK + "@", text)


def _mask_value(key: str, value: Any) -> Any:
    if key.lower() in PERSONAL_KEYS:
        return MASK
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(key, v) for v in value]
    return value


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a record's message, extras and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_data(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and name not in CONTEXT_FIELDS:
                setattr(record, name, _mask_value(name, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


# --- formatting ----------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        entry.update(current_log_context())
        from .observability.tracing import current_trace_ids

        ids = current_trace_ids()
        if ids:
            entry["trace_id"], entry["span_id"] = ids
        for name, value in vars(record).items():
            if name in _STANDARD or name.startswith(("_", "color_")) or value is None:  # uvicorn's ANSI copy
                continue
            entry[name] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(service: str, level: str = "INFO") -> None:
    """Send every log record to stdout as JSON, personal data masked."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
