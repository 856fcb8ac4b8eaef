"""Zalo's official ZNS API over HTTP (httpx): `POST {url}` with the Official Account's access token in
the `access_token` header and `{"phone", "template_id", "template_data", "tracking_id"}` as JSON.

Zalo answers HTTP 200 with `{"error": 0, "message": "Success", "data": {"msg_id", …}}` on success
and a negative `error` otherwise (domain/zalo.py says which are worth a retry). Beyond that, the
answer is read as the other HTTP channels read theirs: a time-out, a refused connection, 408, 429 or
5xx are transient; any other status is permanent."""

from typing import Any

import httpx

from ..domain.zalo import classify, zalo_phone
from ..service_layer.ports import SendError

_TRANSIENT_STATUSES = {408, 425, 429}


class HttpZaloSender:
    def __init__(self, client: httpx.AsyncClient, *, url: str, access_token: str) -> None:
        self._client, self._url, self._access_token = client, url, access_token

    async def send_template(
        self, *, reference: str, phone: str, template_id: str, template_data: dict[str, str]
    ) -> str | None:
        to = zalo_phone(phone)
        if to is None:
            raise SendError(f"{phone!r} is not a Vietnamese mobile number; Zalo cannot reach it", permanent=True)
        # tracking_id: our notification id, so that Zalo's delivery reports name our delivery.
        body = {"phone": to, "template_id": template_id, "template_data": template_data, "tracking_id": reference}
        try:
            response = await self._client.post(self._url, json=body, headers={"access_token": self._access_token})
        except httpx.HTTPError as exc:
            raise SendError(f"Zalo unreachable: {exc!r}", permanent=False) from exc
        if not response.is_success:
            permanent = 400 <= response.status_code < 500 and response.status_code not in _TRANSIENT_STATUSES
            raise SendError(f"Zalo answered HTTP {response.status_code}: {response.text[:200]}", permanent=permanent)
        try:
            answer: Any = response.json()
            code = int(answer["error"])
        except (ValueError, KeyError, TypeError) as exc:
            # It may have gone out: not resent (at most once).
            raise SendError(
                f"Zalo answered 2xx without a ZNS result, so it may or may not have been sent: {response.text[:200]}",
                permanent=True,
            ) from exc
        if code != 0:
            error = classify(code)
            message = str(answer.get("message") or "")[:200]
            raise SendError(f"Zalo error {code}: {error.meaning} ({message})", permanent=not error.transient)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        msg_id = data.get("msg_id")
        return str(msg_id) if msg_id is not None else None
