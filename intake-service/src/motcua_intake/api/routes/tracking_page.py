"""`GET /track?code=…&phone=…`: the applicant's tracking page, linked from receipts and messages.

Server-rendered HTML in Vietnamese with English beside it, readable on a phone, loading nothing from
elsewhere and running no script. A GET form, because every motcua API refuses bodies that are not
JSON; the phone in the query is masked in logs and traces like the API's `?phone=`. The same use case
and limits as `GET /v1/track/{code}`. Not in the OpenAPI document: it is a page for people, not an
operation for programs."""

import html
from functools import cache
from importlib.resources import files
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from motcua_shared.refusals import NotFound, TooManyAttempts, Unavailable

from ...service_layer.tracking import Tracked, track
from ..deps import IntakeDep, client_address

router = APIRouter(tags=["tracking"])

# Longer than any dossier code or phone: answered as not found, without asking the store.
MAX_CODE, MAX_PHONE = 80, 30

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "submitted": ("Đã nộp, chờ cán bộ tiếp nhận", "Submitted, waiting for an officer to accept it"),
    "accepted": ("Đã tiếp nhận", "Accepted"),
    "in_progress": ("Đang xử lý", "Being processed"),
    "supplement_requested": ("Chờ bổ sung giấy tờ", "Waiting for more papers from you"),
    "awaiting_payment": ("Chờ nộp phí, lệ phí", "Waiting for your payment"),
    "suspended": ("Tạm dừng xử lý", "Suspended"),
    "result_ready": ("Đã có kết quả, chờ trả", "Result ready to be returned"),
    "returned": ("Đã trả kết quả", "Result returned"),
    "refused": ("Từ chối tiếp nhận", "Refused"),
    "withdrawn": ("Đã rút hồ sơ", "Withdrawn"),
}

HEADERS = {
    # Nothing from elsewhere, no script at all, only the page's own inline style; forms back to us only.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/track", response_class=HTMLResponse, include_in_schema=False)
async def tracking_page(
    request: Request, intake: IntakeDep, code: str | None = None, phone: str | None = None
) -> HTMLResponse:
    """The form (with the code filled in when given) and, when both are given, the dossier's status."""
    code, phone = (code or "").strip(), (phone or "").strip()
    if not code or not phone:
        return _page(code, "", 200)
    if len(code) > MAX_CODE or len(phone) > MAX_PHONE:
        return _page(code, _not_found(), 404)
    try:
        tracked = await track(intake, client=client_address(request), code=code, phone=phone)
    except (TooManyAttempts, NotFound) as refused:
        if isinstance(refused, TooManyAttempts):
            wait = refused.retry_after or 0
            return _page(code, _too_many(wait), 429, headers={"Retry-After": str(wait)})
        return _page(code, _not_found(), 404)
    except Unavailable as refused:
        if refused.code == "view_behind":
            return _page(code, _behind(), 503, headers={"Retry-After": str(refused.retry_after)})
        raise
    return _page(code, _found(tracked), 200)


@cache
def _template() -> Template:
    return Template(files("motcua_intake.api").joinpath("templates/track.html").read_text(encoding="utf-8"))


def _page(code: str, outcome: str, status: int, *, headers: dict[str, str] | None = None) -> HTMLResponse:
    body = _template().substitute(code=html.escape(code), outcome=outcome)
    return HTMLResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})


def _both(vi: str, en: str) -> str:
    return f'{html.escape(vi)} <span lang="en">· {html.escape(en)}</span>'


def _found(tracked: Tracked) -> str:
    vi, en = STATUS_LABELS.get(tracked.status, (tracked.status, tracked.status))
    if tracked.appointment_at is not None:
        appointment = html.escape(f"{tracked.appointment_at:%H:%M, %d/%m/%Y}")
    else:
        appointment = _both("Chưa có: cán bộ hẹn khi tiếp nhận hồ sơ", "Not yet: set when an officer accepts it")
    return (
        f'<section class="outcome found" aria-live="polite"><dl>'
        f"<dt>{_both('Mã hồ sơ', 'Dossier code')}</dt><dd>{html.escape(tracked.code)}</dd>"
        f"<dt>{_both('Tình trạng', 'Status')}</dt><dd>{_both(vi, en)}</dd>"
        f"<dt>{_both('Ngày hẹn trả kết quả', 'Result date')}</dt><dd>{appointment}</dd>"
        f"{_respond_by(tracked)}</dl>{_maybe_behind(tracked)}</section>"
    )


def _respond_by(tracked: Tracked) -> str:
    """While papers are asked for: the time to hand them in (after it the dossier may be refused)."""
    if tracked.supplement_respond_by is None:
        return ""
    when = html.escape(f"{tracked.supplement_respond_by:%H:%M, %d/%m/%Y}")
    return f"<dt>{_both('Hạn nộp giấy tờ bổ sung', 'Papers due by')}</dt><dd>{when}</dd>"


def _maybe_behind(tracked: Tracked) -> str:
    """A note when the view had not folded everything published before the request."""
    if tracked.consumer_lag == 0:
        return ""
    return (
        "<p>"
        + _both(
            "Thông tin có thể chưa cập nhật các thay đổi vừa xảy ra; xin xem lại sau ít phút.",
            "This may not show the latest changes yet; please look again in a few minutes.",
        )
        + "</p>"
    )


def _behind() -> str:
    return _refused(
        "Hệ thống đang cập nhật hồ sơ. Xin thử lại sau ít phút.",
        "The system is catching up with recent changes. Please try again in a few minutes.",
    )


def _not_found() -> str:
    return _refused(
        "Không tìm thấy hồ sơ với mã và số điện thoại này. Xin kiểm tra lại.",
        "No dossier with this code and phone number. Please check them.",
    )


def _too_many(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return _refused(
        f"Quá nhiều lần tra cứu không đúng. Xin thử lại sau {minutes} phút.",
        f"Too many attempts that did not match. Please try again in {minutes} minute{'' if minutes == 1 else 's'}.",
    )


def _refused(vi: str, en: str) -> str:
    return f'<section class="outcome refused" role="alert"><p>{_both(vi, en)}</p></section>'
