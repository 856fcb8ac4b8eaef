"""The values of a template's placeholders, written for a reader of one language: dates in the
province's time, amounts in đồng, lists joined."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ

from .language import Language

_CHANNELS = {
    "vi": {"direct": "trực tiếp", "online": "trực tuyến", "postal": "qua bưu chính"},
    "en": {"direct": "in person", "online": "online", "postal": "by post"},
}
_RATINGS = {
    "vi": {"very_satisfied": "rất hài lòng", "satisfied": "hài lòng", "unsatisfied": "không hài lòng"},
    "en": {"very_satisfied": "very satisfied", "satisfied": "satisfied", "unsatisfied": "unsatisfied"},
}


@dataclass(frozen=True)
class DossierFacts:
    """What notification keeps about a dossier from its `dossier.submitted` (later events carry only ids)."""

    dossier_id: str
    dossier_code: str
    agency_code: str
    procedure_code: str
    applicant_name: str
    email: str | None = None
    phone: str | None = None
    preferred_language: str | None = None
    zalo_consent: bool = False  # the applicant agreed at intake to be told on Zalo
    # Received at another agency's counter (issue 18 item 6): its code, and its name when known.
    receiving_agency_code: str | None = None
    receiving_agency_name: str | None = None


def format_datetime(at: datetime, language: Language) -> str:
    local = at.astimezone(PROVINCE_TZ)
    if language == "vi":
        return f"{local:%H:%M} ngày {local:%d/%m/%Y}"
    return f"{local:%d %B %Y, %H:%M}"


def format_amount(amount: Decimal, language: Language) -> str:
    whole = f"{int(amount):,}"
    return f"{whole.replace(',', '.')} đồng" if language == "vi" else f"VND {whole}"


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def tracking_link(page: str, dossier_code: str) -> str:
    """The applicant's tracking page with the code filled in (the page asks for the phone)."""
    return f"{page}{'&' if '?' in page else '?'}{urlencode({'code': dossier_code})}"


def receiving_note(facts: DossierFacts, agency_name: str, language: Language) -> str:
    """A sentence naming the counter that received a dossier for another agency (empty otherwise),
    written to follow the receipt's first sentence."""
    if facts.receiving_agency_code is None:
        return ""
    counter = facts.receiving_agency_name or facts.receiving_agency_code
    if language == "vi":
        return f" Hồ sơ được tiếp nhận tại quầy của {counter}; {agency_name} giải quyết."
    return f" It was received at the counter of {counter}; {agency_name} handles it."


def placeholder_values(
    event: ev.DossierEvent, facts: DossierFacts, language: Language, *, agency_name: str | None, portal_url: str
) -> dict[str, str]:
    """Every placeholder `event`'s templates may use, filled for a reader of `language`."""
    values: dict[str, str] = {
        "dossier_code": facts.dossier_code,
        "applicant_name": facts.applicant_name,
        "agency_code": facts.agency_code,
        "agency_name": agency_name or facts.agency_code,
        "procedure_code": facts.procedure_code,
        "portal_url": tracking_link(portal_url, facts.dossier_code),
        "receiving_note": receiving_note(facts, agency_name or facts.agency_code, language),
    }
    data: Any = event.data
    none = "—"
    match event:
        case ev.DossierSubmitted():
            values |= {
                "channel": _CHANNELS[language][data.channel.value],
                "submitted_at": format_datetime(event.occurred_at, language),
            }
        case ev.DossierAccepted() | ev.DossierSupplementReceived() | ev.DossierResumed():
            values["appointment_date"] = format_datetime(data.due_at, language)
        case ev.DossierApologyIssued():
            values |= {
                "reason": data.reason,
                "appointment_date": format_datetime(data.new_due_at, language),
                "letter_id": data.letter_id or "",
            }
        case ev.DossierSupplementRequested():
            values |= {"reason": data.reason, "items": "; ".join(data.items or []) or data.reason}
        case ev.DossierPaymentRequested() | ev.DossierPaymentCompleted():
            values["amount"] = format_amount(data.amount, language)
        case ev.DossierTransferred():
            values |= {"to_agency_code": data.to_agency_code, "reason": data.reason or none}
        case ev.DossierResultReady():
            values["result_number"] = data.result_number or none
        case ev.DossierReturned():
            values["delivery"] = _CHANNELS[language][data.delivery.value]
        case ev.DossierOverdue():
            values["due_date"] = format_datetime(data.due_at, language)
        case ev.DossierDueSoon():
            values |= {
                "due_date": format_datetime(data.due_at, language),
                "remaining_hours": _hours(data.remaining_working_hours),
            }
        case ev.DossierRated():
            values["rating"] = _RATINGS[language][data.rating.value]
        case ev.DossierSupplementDueSoon():
            values |= {
                "respond_by": format_datetime(data.respond_by, language),
                "remaining_hours": _hours(data.remaining_working_hours),
            }
        case ev.DossierSupplementExpired():
            values["respond_by"] = format_datetime(data.respond_by, language)
        case ev.DossierResultUncollected():
            values |= {
                "ready_date": format_datetime(data.ready_at, language),
                "after_days": _hours(data.after_working_days),
            }
        case ev.DossierRefused() | ev.DossierSuspended() | ev.DossierWithdrawn():
            values["reason"] = data.reason or none
    return values
