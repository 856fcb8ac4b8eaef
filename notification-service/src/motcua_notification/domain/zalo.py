"""Zalo as a channel: ZNS template messages (Zalo Notification Service).

A ZNS message is not free text: it names a template that Zalo approved for the centre's Official
Account (`template_id`) and fills that template's parameters (`template_data`). The operator keeps
one entry per message kind (`applicant.accepted`, `applicant.result_ready`, …): the template id and,
for each of its parameters, which of our placeholders fills it. A kind with no entry is not sent on
Zalo. Only an applicant who consented at intake (`applicant.zalo_consent`) is told on Zalo.

Zalo answers every call with `{"error", "message", "data"}`; `error` 0 is success. Which other
codes are worth a retry is decided here (ZALO_ERRORS); docs/notification.md cites the sources."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from motcua_shared.events import NotificationChannel

from .routing import ROUTES, Audience, Route
from .templates import allowed_placeholders

# --- the template table -------------------------------------------------------------------------

# Every applicant message kind of the routing table, and the event it tells of.
APPLICANT_KINDS: dict[str, str] = {
    r.template_id.rsplit(".", 1)[0]: r.event_type for r in ROUTES if r.audience == Audience.APPLICANT
}


@dataclass(frozen=True)
class Parameter:
    """One parameter of a ZNS template: the placeholder that fills it, cut to what Zalo accepts
    (ZNS parameter types have length limits, e.g. 30 characters for a name or a code)."""

    placeholder: str
    max_length: int | None = None

    def value(self, values: Mapping[str, str]) -> str:
        text = values[self.placeholder]
        if self.max_length is not None and len(text) > self.max_length:
            text = text[: self.max_length - 1] + "…"
        return text


@dataclass(frozen=True)
class ZaloTemplate:
    kind: str  # our message kind, e.g. "applicant.accepted"
    template_id: str  # Zalo's id of the approved template
    parameters: Mapping[str, Parameter]  # ZNS parameter name -> where its value comes from
    language: str = "vi"  # the language the template was approved in (values are written in it)

    @property
    def event_type(self) -> str:
        return APPLICANT_KINDS[self.kind]

    def template_data(self, values: Mapping[str, str]) -> dict[str, str]:
        """The `template_data` of a ZNS request, from our placeholders' values."""
        return {name: parameter.value(values) for name, parameter in self.parameters.items()}


class ZaloTemplateError(ValueError):
    """A template table that cannot be used; raised when it is loaded (at start), never at send time."""


def load_zalo_templates(table: Mapping[str, Mapping[str, object]]) -> dict[str, ZaloTemplate]:
    """The table as configured (`{kind: {"template_id", "parameters": {name: placeholder or
    {"placeholder", "max_length"}}, "language"?}}`), checked: known kinds, known placeholders."""
    templates: dict[str, ZaloTemplate] = {}
    for kind, entry in table.items():
        if kind not in APPLICANT_KINDS:
            raise ZaloTemplateError(f"{kind}: not a message kind; one of {', '.join(sorted(APPLICANT_KINDS))}")
        template_id = str(entry.get("template_id") or "").strip()
        if not template_id:
            raise ZaloTemplateError(f"{kind}: template_id is required")
        raw_parameters = entry.get("parameters") or {}
        if not isinstance(raw_parameters, Mapping) or not raw_parameters:
            raise ZaloTemplateError(f"{kind}: parameters must map each ZNS parameter to a placeholder")
        allowed = allowed_placeholders(APPLICANT_KINDS[kind])
        parameters: dict[str, Parameter] = {}
        for name, source in raw_parameters.items():
            parameter = _parameter(source)
            if parameter.placeholder not in allowed:
                raise ZaloTemplateError(
                    f"{kind}.{name}: unknown placeholder {{{parameter.placeholder}}}; "
                    f"this message may use {', '.join(sorted(allowed))}"
                )
            parameters[str(name)] = parameter
        language = str(entry.get("language") or "vi")
        if language not in ("vi", "en"):
            raise ZaloTemplateError(f"{kind}: language must be vi or en")
        templates[kind] = ZaloTemplate(kind, template_id, parameters, language)
    return templates


def _parameter(source: object) -> Parameter:
    if isinstance(source, str):
        return Parameter(source)
    if isinstance(source, Mapping) and isinstance(source.get("placeholder"), str):
        length = source.get("max_length")
        if length is not None and (not isinstance(length, int) or length < 2):
            raise ZaloTemplateError(f"max_length must be a whole number of at least 2, not {length!r}")
        return Parameter(source["placeholder"], length)
    raise ZaloTemplateError(f"a parameter is a placeholder name or {{placeholder, max_length}}, not {source!r}")


def zalo_routes(event_type: str, templates: Mapping[str, ZaloTemplate]) -> list[Route]:
    """The Zalo messages an event calls for: one per configured kind of that event."""
    return [
        Route(event_type, Audience.APPLICANT, NotificationChannel.ZALO, f"{kind}.zalo")
        for kind, template in templates.items()
        if template.event_type == event_type
    ]


def kind_of(template_id: str) -> str:
    """`applicant.accepted.zalo` -> `applicant.accepted`."""
    return template_id.rsplit(".", 1)[0]


# --- phones -------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s.\-()]")
# A Vietnamese mobile number in Zalo's form: 84, then 9 digits starting 3, 5, 7, 8 or 9.
_VIETNAMESE_MOBILE = re.compile(r"^84[35789][0-9]{8}$")


def zalo_phone(raw: str) -> str | None:
    """`0912 345 678`, `+84912345678`, `84912345678` -> `84912345678` (the form ZNS takes);
    None when it is not a Vietnamese mobile number, which Zalo cannot reach."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if _VIETNAMESE_MOBILE.match(digits) else None


# --- Zalo's answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZaloError:
    code: int
    meaning: str  # Zalo's own words, then ours in Vietnamese
    transient: bool


def _errors(rows: Iterable[tuple[int, str, bool]]) -> dict[int, ZaloError]:
    return {code: ZaloError(code, meaning, transient) for code, meaning, transient in rows}


RETRY, FAIL = True, False
ZALO_ERRORS: dict[int, ZaloError] = _errors(
    [
        # Zalo's side or the centre's account: worth a retry (an operator may fix it meanwhile).
        (-100, "Unknown error / lỗi không xác định, thử lại sau", RETRY),
        (-101, "Application invalid / ứng dụng gửi ZNS không hợp lệ", RETRY),
        (-102, "Application not existed / ứng dụng gửi ZNS không tồn tại", RETRY),
        (-103, "Application not activated / ứng dụng chưa được kích hoạt", RETRY),
        (-104, "App secret key invalid / secret key của ứng dụng không hợp lệ", RETRY),
        (-105, "Application not linked to any OA / ứng dụng chưa liên kết với OA", RETRY),
        (-115, "Out of quota / tài khoản ZNS không đủ số dư", RETRY),
        (-124, "Access token invalid / access token không hợp lệ", RETRY),
        (-220, "Access token is expired or removed / access token hết hạn (sống 25 giờ)", RETRY),
        # The message itself, the template or the person: it will stay wrong.
        (-106, "Method unsupported / phương thức không được hỗ trợ", FAIL),
        (-108, "Phone number invalid / số điện thoại không hợp lệ", FAIL),
        (-109, "Template ID invalid / ID mẫu ZNS không hợp lệ", FAIL),
        (-110, "Zalo version unsupported / phiên bản Zalo của người nhận không được hỗ trợ", FAIL),
        (-111, "Template data empty / mẫu ZNS không có dữ liệu", FAIL),
        (-112, "Template data invalid / dữ liệu mẫu ZNS không hợp lệ", FAIL),
        (-114, "User inactive or rejected the message / người dùng không nhận tin ZNS", FAIL),
        (-117, "OA or app has no permission for this template / OA không có quyền dùng mẫu này", FAIL),
        (-118, "Zalo account not existed / số điện thoại chưa có tài khoản Zalo", FAIL),
        (-119, "Account cannot receive ZNS / tài khoản không nhận được tin ZNS", FAIL),
    ]
)


def classify(code: int) -> ZaloError:
    """What an `error` code of Zalo means and whether a retry may help; a code not listed is taken
    as permanent (the request is wrong), so it is not resent blindly."""
    return ZALO_ERRORS.get(code, ZaloError(code, "undocumented error / lỗi chưa được mô tả", False))
