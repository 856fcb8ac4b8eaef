"""Templates with named placeholders (`{dossier_code}`), one text per language, versioned.

A template may only use the placeholders its event provides; one that names any other is refused
when it is loaded (the shipped defaults at import, an admin's edit at PUT), never at send time."""

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from .language import DEFAULT_LANGUAGE, Language

COMMON_PLACEHOLDERS = frozenset(
    {
        "dossier_code",
        "applicant_name",
        "agency_code",
        "agency_name",
        "procedure_code",
        "portal_url",
        "receiving_note",
    }  # receiving_note: "" unless received at another agency's counter (issue 18)
)
# What each event adds to the common placeholders (see context.py for the values).
EVENT_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "dossier.submitted": frozenset({"channel", "submitted_at"}),
    "dossier.accepted": frozenset({"appointment_date"}),
    "dossier.refused": frozenset({"reason"}),
    "dossier.supplement_requested": frozenset({"reason", "items"}),
    "dossier.supplement_received": frozenset({"appointment_date"}),
    "dossier.payment_requested": frozenset({"amount"}),
    "dossier.payment_completed": frozenset({"amount"}),
    "dossier.suspended": frozenset({"reason"}),
    "dossier.resumed": frozenset({"appointment_date"}),
    "dossier.transferred": frozenset({"to_agency_code", "reason"}),
    "dossier.apology_issued": frozenset({"reason", "appointment_date", "letter_id"}),
    "dossier.result_ready": frozenset({"result_number"}),
    "dossier.returned": frozenset({"delivery"}),
    "dossier.withdrawn": frozenset({"reason"}),
    "dossier.overdue": frozenset({"due_date"}),
    "dossier.due_soon": frozenset({"due_date", "remaining_hours"}),
    "dossier.rated": frozenset({"rating"}),
    "dossier.supplement_due_soon": frozenset({"respond_by", "remaining_hours"}),
    "dossier.supplement_expired": frozenset({"respond_by"}),
    "dossier.result_uncollected": frozenset({"ready_date", "after_days"}),
}

LANGUAGES: tuple[Language, ...] = ("vi", "en")


def allowed_placeholders(event_type: str) -> frozenset[str]:
    return COMMON_PLACEHOLDERS | EVENT_PLACEHOLDERS.get(event_type, frozenset())


class TemplateError(ValueError):
    """A template that cannot be loaded. `code` is machine-readable; `field` says where."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.message = message


class UnknownPlaceholder(TemplateError):
    def __init__(self, field: str, name: str, allowed: frozenset[str]) -> None:
        super().__init__(
            "unknown_placeholder",
            field,
            f"unknown placeholder {{{name}}}; this template may use {', '.join(sorted(allowed))}",
        )
        self.name = name


@dataclass(frozen=True)
class Text:
    """One language's words: the email subject (None for SMS) and the body."""

    body: str
    subject: str | None = None


@dataclass(frozen=True)
class Rendered:
    language: Language
    body: str
    subject: str | None = None


@dataclass(frozen=True)
class Template:
    id: str
    event_type: str
    texts: Mapping[str, Text]
    version: int = 1
    placeholders: frozenset[str] = field(default_factory=frozenset)

    def render(self, language: Language, values: Mapping[str, str]) -> Rendered:
        """The text in `language` (Vietnamese when that language is missing) with `values` filled in.
        Placeholders were checked at load, so every one has a value."""
        chosen: Language = language if language in self.texts else DEFAULT_LANGUAGE
        text = self.texts[chosen]
        fill = {name: values.get(name, "") for name in self.placeholders}
        subject = text.subject.format_map(fill) if text.subject is not None else None
        return Rendered(chosen, text.body.format_map(fill), subject)


def _names(source: str, where: str) -> set[str]:
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(source))
    except ValueError as exc:
        raise TemplateError("malformed_template", where, f"{exc} (write {{{{ and }}}} for literal braces)") from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(
                "malformed_template",
                where,
                f"{{{name}}}: a placeholder is a bare name, without attribute, index or format",
            )
        names.add(name)
    return names


def load_template(
    template_id: str, event_type: str, texts: Mapping[str, Text], *, version: int = 1, needs_subject: bool = False
) -> Template:
    """A checked template, or TemplateError (UnknownPlaceholder for a name its event does not provide)."""
    if event_type not in EVENT_PLACEHOLDERS:
        raise TemplateError("unknown_event_type", "event_type", f"no event type {event_type!r}")
    if DEFAULT_LANGUAGE not in texts:
        raise TemplateError("missing_language", DEFAULT_LANGUAGE, "a template needs its Vietnamese text")
    allowed = allowed_placeholders(event_type)
    used: set[str] = set()
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise TemplateError("unknown_language", language, f"languages are {', '.join(LANGUAGES)}")
        if not text.body.strip():
            raise TemplateError("empty_template", f"{language}.body", "the body is empty")
        if needs_subject and not (text.subject or "").strip():
            raise TemplateError("missing_subject", f"{language}.subject", "an email template needs a subject")
        for part, source in (("subject", text.subject), ("body", text.body)):
            if source is None:
                continue
            names = _names(source, f"{language}.{part}")
            for name in sorted(names - allowed):
                raise UnknownPlaceholder(f"{language}.{part}", name, allowed)
            used |= names
    return Template(template_id, event_type, dict(texts), version, frozenset(used))


def parse_default_templates(raw: str) -> dict[str, Template]:
    """Templates from the TOML of templates.toml: `[template_id]` with `event_type` and one table per
    language (`vi`, `en`) holding `body` and, for email, `subject`."""
    table = tomllib.loads(raw)
    loaded: dict[str, Template] = {}
    for template_id, entry in table.items():
        texts: dict[str, Text] = {
            lang: Text(body=entry[lang]["body"], subject=entry[lang].get("subject"))
            for lang in LANGUAGES
            if lang in entry
        }
        loaded[template_id] = load_template(
            template_id, entry["event_type"], texts, needs_subject=template_id.endswith(".email")
        )
    return loaded


def default_templates() -> dict[str, Template]:
    """The shipped templates (version 1 of each), checked as they load."""
    raw = resources.files(__package__).joinpath("templates.toml").read_text(encoding="utf-8")
    return parse_default_templates(raw)
